using System.Net;
using System.Net.Sockets;

namespace GrpcSync.Testing.Processes;

/// <summary>Free loopback ports for a server under test (REST and gRPC listen on separate ports).</summary>
public static class LoopbackPorts
{
    /// <summary>Two distinct ports that were free a moment ago.</summary>
    public static (int First, int Second) TwoFree()
    {
        // Both listeners are open at once so the OS cannot hand out the same port twice.
        var first = new TcpListener(IPAddress.Loopback, 0);
        var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        try
        {
            return (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port);
        }
        finally
        {
            first.Stop();
            second.Stop();
        }
    }

    /// <summary>A port that was free a moment ago.</summary>
    public static int OneFree()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
