using System.ComponentModel.DataAnnotations;

namespace Sift.Drafting;

/// <summary>Section <c>Sift:Drafting</c>: what the hosted model (<c>Sift:Classification:Llm</c>) may do with drafts.</summary>
public sealed class DraftingOptions : IValidatableObject
{
    public const string Section = "Sift:Drafting";

    /// <summary>On the review path, have the hosted model write the draft from the template and the knowledge base (when one is configured).</summary>
    public bool Grounded { get; set; } = true;

    public ParaphraseOptions Paraphrase { get; set; } = new();

    /// <summary>The longest text the model may write for a draft or a paraphrase.</summary>
    [Range(100, 4000)]
    public int MaxOutputTokens { get; set; } = 700;

    // Data annotations do not look into nested objects: the paraphrase's settings are checked here, naming the key.
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Paraphrase is null || string.IsNullOrWhiteSpace(Paraphrase.Tone) || Paraphrase.Tone.Trim().Length < 3)
        {
            yield return new ValidationResult($"{Section}:Paraphrase:Tone must be a tone instruction of at least 3 characters.", ["Paraphrase.Tone"]);
        }
    }
}

/// <summary>Section <c>Sift:Drafting:Paraphrase</c>: the optional rewrite of an automatic reply for tone.</summary>
public sealed class ParaphraseOptions
{
    /// <summary>Off by default: an automatic reply is the template's text unless the owner asks for a rewrite.</summary>
    public bool Enabled { get; set; }

    /// <summary>The tone the model is asked for.</summary>
    public string Tone { get; set; } = "warm, friendly and concise, as a helpful colleague would write";
}
