using System.Collections.Concurrent;
using System.Data.Common;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;

namespace Sift.Storage;

/// <summary>
/// Several statements sent as one command: one round trip to PostgreSQL instead of one per row. Each statement's
/// <c>@name</c> parameters are renamed with a suffix so that rows of the same shape do not collide.
/// </summary>
public sealed partial class SqlBatch
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> Properties = new();
    private static readonly ConcurrentDictionary<string, string[]> Templates = new();
    private readonly StringBuilder _sql = new();
    private readonly DynamicParameters _parameters = new();
    private int _count;

    public bool IsEmpty => _count == 0;

    public SqlBatch Add(string sql, object parameters)
    {
        AppendWithParameters(sql, parameters);
        _sql.Append(";\n");
        return this;
    }

    /// <summary>
    /// One INSERT for many rows: <paramref name="insert"/> (up to and including VALUES) once, then <paramref name="row"/>
    /// once per row, each with its own parameters. Nothing is added when there are no rows.
    /// </summary>
    public SqlBatch AddRows<T>(string insert, string row, IEnumerable<T> rows)
        where T : notnull
    {
        var first = true;
        foreach (var item in rows)
        {
            _sql.Append(first ? insert : ",").Append('\n');
            AppendWithParameters(row, item);
            first = false;
        }

        if (!first)
        {
            _sql.Append(";\n");
        }

        return this;
    }

    private void AppendWithParameters(string sql, object parameters)
    {
        var suffix = "_" + _count++;
        foreach (var property in Properties.GetOrAdd(parameters.GetType(), t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)))
        {
            _parameters.Add(property.Name + suffix, property.GetValue(parameters));
        }

        // The statement split around its parameter names once, then joined with this statement's suffix.
        var parts = Templates.GetOrAdd(sql, static text => Parameter().Split(text));
        for (var i = 0; i < parts.Length; i++)
        {
            _sql.Append(parts[i]);
            if (i % 2 == 1)
            {
                _sql.Append(suffix);
            }
        }
    }

    public SqlBatch AddRange<T>(string sql, IEnumerable<T> rows)
        where T : notnull
    {
        foreach (var row in rows)
        {
            Add(sql, row);
        }

        return this;
    }

    /// <summary>Runs the batch. Without a transaction, PostgreSQL still runs it atomically (one implicit transaction).</summary>
    public Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        IsEmpty
            ? Task.FromResult(0)
            : connection.ExecuteAsync(new CommandDefinition(_sql.ToString(), _parameters, transaction, cancellationToken: cancellationToken));

    // Captured, so that Split keeps the names: text, name, text, name, ..., text.
    [GeneratedRegex(@"((?<![@\w])@\w+)")]
    private static partial Regex Parameter();
}
