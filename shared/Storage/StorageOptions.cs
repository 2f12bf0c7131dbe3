using System.ComponentModel.DataAnnotations;

namespace Sift.Storage;

/// <summary>Where Sift keeps its state. With no PostgreSQL connection string, a SQLite file under <see cref="DataDirectory"/>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Sift";

    /// <summary>Folder for the SQLite database, the dry-run outbox and other local files.</summary>
    [Required]
    public string DataDirectory { get; set; } = "./data";
}
