namespace GrpcSync.Connectors.GoogleDrive;

/// <summary>
/// The export types of Google Workspace documents, from Drive's "Export MIME types for Google Workspace documents"
/// (https://developers.google.com/drive/api/guides/ref-export-formats), by the short names <c>?format=</c> takes.
/// PDF is the default of every type that has it.
/// </summary>
internal static class DriveExportFormats
{
    public const string DefaultFormat = "pdf";

    private static readonly Dictionary<string, string> Pdf = new(StringComparer.OrdinalIgnoreCase) { ["pdf"] = "application/pdf" };

    private static readonly Dictionary<string, Dictionary<string, string>> ByType = new(StringComparer.Ordinal)
    {
        ["application/vnd.google-apps.document"] = new(Pdf, StringComparer.OrdinalIgnoreCase)
        {
            ["docx"] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ["odt"] = "application/vnd.oasis.opendocument.text",
            ["rtf"] = "application/rtf",
            ["txt"] = "text/plain",
            ["html"] = "application/zip",
            ["epub"] = "application/epub+zip",
            ["md"] = "text/markdown",
        },
        ["application/vnd.google-apps.spreadsheet"] = new(Pdf, StringComparer.OrdinalIgnoreCase)
        {
            ["xlsx"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ["ods"] = "application/vnd.oasis.opendocument.spreadsheet",
            ["csv"] = "text/csv",
            ["tsv"] = "text/tab-separated-values",
            ["html"] = "application/zip",
        },
        ["application/vnd.google-apps.presentation"] = new(Pdf, StringComparer.OrdinalIgnoreCase)
        {
            ["pptx"] = "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ["odp"] = "application/vnd.oasis.opendocument.presentation",
            ["txt"] = "text/plain",
        },
        ["application/vnd.google-apps.drawing"] = new(Pdf, StringComparer.OrdinalIgnoreCase)
        {
            ["jpeg"] = "image/jpeg",
            ["png"] = "image/png",
            ["svg"] = "image/svg+xml",
        },
    };

    /// <summary>Whether the file is a Google Workspace type (no bytes of its own: exported or nothing).</summary>
    public static bool IsWorkspaceType(string mimeType) => mimeType.StartsWith("application/vnd.google-apps.", StringComparison.Ordinal);

    /// <summary>The export MIME type of <paramref name="format"/> (null: PDF) for a Workspace type; null with the reason when there is none.</summary>
    public static string? Resolve(string mimeType, string? format, out string problem)
    {
        problem = "";
        if (!ByType.TryGetValue(mimeType, out var formats))
        {
            problem = $"A {mimeType} file has no content that can be downloaded or exported.";
            return null;
        }
        if (formats.TryGetValue(format ?? DefaultFormat, out var exportType))
        {
            return exportType;
        }
        problem = $"A {mimeType} file cannot be exported as '{format}'. Formats: {string.Join(", ", formats.Keys)}.";
        return null;
    }
}
