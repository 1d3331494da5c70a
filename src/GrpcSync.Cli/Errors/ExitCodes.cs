namespace GrpcSync.Cli.Errors;

/// <summary>The process exit codes, documented in the README (CLI section) so scripts can branch on them.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Any other failure (a run that failed, a server error, a local I/O error).</summary>
    public const int Failure = 1;

    /// <summary>Bad input: a usage error found by the parser, INVALID_ARGUMENT, FAILED_PRECONDITION (and OUT_OF_RANGE, ALREADY_EXISTS, ABORTED).</summary>
    public const int BadInput = 2;

    /// <summary>NOT_FOUND.</summary>
    public const int NotFound = 3;

    /// <summary>UNAUTHENTICATED or PERMISSION_DENIED.</summary>
    public const int Denied = 4;

    /// <summary>The server could not be reached (connection refused, DNS, timeout before any answer).</summary>
    public const int Unreachable = 5;

    /// <summary>
    /// Ctrl+C (SIGINT) or SIGTERM while <c>syncs trigger --wait</c> followed a run: its outcome is unknown (the run
    /// goes on on the server). 128 + SIGINT, as shells report an interrupted program. A watch ended so is 0.
    /// </summary>
    public const int Interrupted = 130;
}
