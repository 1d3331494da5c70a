namespace GrpcSync.Cli.Output;

/// <summary>
/// One table column: its header and the REST JSON path of its value (<c>summary.totalRecords</c>). Values are shown
/// whole on one line (ids must stay copyable), except in a <paramref name="Wraps"/> column (free text: names, URLs,
/// errors), which folds onto more lines when the terminal is narrow.
/// </summary>
public sealed record Column(string Header, string Path, bool Wraps = false);
