namespace GrpcSync.Cli.Output;

/// <summary><c>--output</c>: tables for people, JSON (the REST shapes) for scripts.</summary>
public enum OutputFormat
{
    Table,
    Json,
}
