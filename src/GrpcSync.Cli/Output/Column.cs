namespace GrpcSync.Cli.Output;

/// <summary>One table column: its header and the REST JSON path of its value (<c>summary.totalRecords</c>).</summary>
public sealed record Column(string Header, string Path);
