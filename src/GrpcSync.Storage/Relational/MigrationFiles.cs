using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// A dialect's migrations, read from the <c>.sql</c> files embedded as <c>{dialect}/Migrations/NNNN_name.sql</c>
/// (see the csproj): NNNN is the version, the rest names it. Each file is one migration, run as one command;
/// its leading <c>--</c> lines are notes for the reader and are not sent.
/// </summary>
internal static partial class MigrationFiles
{
    public static IReadOnlyList<Migration> Load(string dialect)
    {
        var prefix = dialect + "/Migrations/";
        var assembly = typeof(MigrationFiles).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var match = FileName().Match(resource[prefix.Length..]);
            if (!match.Success)
            {
                throw new InvalidOperationException($"Migration file '{resource}' is not named NNNN_name.sql.");
            }
            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Migration file '{resource}' cannot be read.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(new Migration(int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture),
                match.Groups["name"].Value.Replace('_', ' '), Statements(reader.ReadToEnd())));
        }
        if (migrations.Count == 0)
        {
            throw new InvalidOperationException($"No migration files are embedded under '{prefix}'.");
        }
        return MigrationList.Validate([.. migrations.OrderBy(m => m.Version)]);
    }

    /// <summary>
    /// The text sent: LF line endings (a checkout may bring CRLF), without the leading notes and the final newline,
    /// so it is the same text whatever the editor or platform did to the file.
    /// </summary>
    private static string Statements(string file)
    {
        var lines = file.ReplaceLineEndings("\n").Split('\n');
        var first = 0;
        while (first < lines.Length && (lines[first].StartsWith("--", StringComparison.Ordinal) || lines[first].Length == 0))
        {
            first++;
        }
        return string.Join('\n', lines[first..]).TrimEnd('\n');
    }

    [GeneratedRegex(@"^(?<version>[0-9]{4})_(?<name>[a-z0-9_]+)\.sql$")]
    private static partial Regex FileName();
}
