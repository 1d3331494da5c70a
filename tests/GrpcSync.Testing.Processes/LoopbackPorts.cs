using System.Net;
using System.Net.Sockets;

namespace GrpcSync.Testing.Processes;

/// <summary>Free loopback ports for a server under test (REST and gRPC listen on separate ports).</summary>
public static class LoopbackPorts
{
    // Ports handed out by this process: servers started side by side must not be given the same one (a port is only
    // probed, not held, so the OS may offer it again until the server binds it).
    private static readonly HashSet<int> HandedOut = [];
    private static readonly Lock Gate = new();

    /// <summary>Two distinct ports that were free a moment ago and that this process has not handed out before.</summary>
    public static (int First, int Second) TwoFree() => (OneFree(), OneFree());

    /// <summary>A port that was free a moment ago and that this process has not handed out before.</summary>
    public static int OneFree()
    {
        while (true)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                lock (Gate)
                {
                    if (HandedOut.Add(port))
                    {
                        return port;
                    }
                }
            }
            finally
            {
                listener.Stop();
            }
        }
    }
}
