using System.Globalization;

namespace GrpcSync.Testing.Processes;

/// <summary>
/// Which process listens on a loopback port, read from Linux's /proc. Why: servers started side by side can be handed
/// the same "free" port (it is only probed, not held); the one that loses the bind exits, but until it does its health
/// check is answered by the other one, and the test would talk to the wrong server.
/// </summary>
public static class PortListeners
{
    private const string Listen = "0A"; // TCP_LISTEN in /proc/net/tcp's "st" column

    /// <summary>
    /// True if process <paramref name="processId"/> holds a socket listening on TCP port <paramref name="port"/>;
    /// false if it does not; null where /proc cannot tell (not Linux, or the process is gone).
    /// </summary>
    public static bool? IsListenedBy(int processId, int port)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var inodes = ListeningSocketInodes(port);
        try
        {
            foreach (var descriptor in Directory.EnumerateFiles($"/proc/{processId}/fd"))
            {
                if (new FileInfo(descriptor).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal) &&
                    inodes.Contains(target["socket:[".Length..^1]))
                {
                    return true;
                }
            }
            return false;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null; // exited meanwhile, or descriptors closed while read
        }
    }

    /// <summary>The inodes of the sockets listening on <paramref name="port"/> (IPv4 and IPv6).</summary>
    private static HashSet<string> ListeningSocketInodes(int port)
    {
        var hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (columns.Length > 9 && columns[3] == Listen && columns[1].EndsWith(hexPort, StringComparison.Ordinal))
                {
                    inodes.Add(columns[9]);
                }
            }
        }
        return inodes;
    }
}
