using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcSync.Domain;
using GrpcSync.Domain.Webhooks;
using GrpcSync.Engine.Configuration;
using GrpcSync.Engine.Webhooks;
using GrpcSync.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Tests.Webhooks;

/// <summary>
/// SSRF at send time, over real sockets: without AllowPrivateNetworks the sender resolves the host, refuses any
/// non-public address before connecting (naming the rule) and refuses http; with it, it connects to the listener.
/// </summary>
public sealed class WebhookSenderAddressTests : IAsyncLifetime
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private int _connections;
    private Task? _accepting;
    private readonly CancellationTokenSource _stop = new();

    private static readonly IDataProtectionProvider Protection = new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider();

    private sealed class Secrets : IWebhookSecrets
    {
        public string Reveal(string protectedSecret) => Protection.CreateProtector("GrpcSync.Webhooks.Secret.v1").Unprotect(protectedSecret);
    }

    public Task InitializeAsync()
    {
        _listener.Start();
        _accepting = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                var stream = client.GetStream();
                var buffer = new byte[65536];
                var request = new StringBuilder();
                while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0) break;
                    request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                await stream.WriteAsync("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), _stop.Token);
            }
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting!;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private static WebhookSender Sender(bool allowPrivate) =>
        new(new Secrets(), Options.Create(new WebhookOptions { AllowPrivateNetworks = allowPrivate, Timeout = TimeSpan.FromSeconds(5) }));

    private static (ClaimedDelivery, LoggedEvent) Delivery(string url)
    {
        var e = new LoggedEvent(Guid.NewGuid(), Guid.NewGuid(), 1, 1, "p", "u", "filesystem", null, EventTypes.SyncDisabled,
            DateTimeOffset.UtcNow, "{}");
        var secret = "whsec_" + Convert.ToBase64String(new byte[32]);
        return (new ClaimedDelivery(Guid.NewGuid(), Guid.NewGuid(), "p", 0, url, true,
            Protection.CreateProtector("GrpcSync.Webhooks.Secret.v1").Protect(secret), null, null, e, DateTimeOffset.UtcNow.AddMinutes(1)), e);
    }

    [Theory]
    [InlineData("https://127.0.0.1:{0}/hook", "127.0.0.1, which is loopback (127.0.0.0/8)")]
    [InlineData("https://localhost:{0}/hook", "which is loopback")]
    [InlineData("https://[::1]:{0}/hook", "::1, which is loopback (::1)")]
    [InlineData("https://169.254.169.254:{0}/latest/meta-data", "link-local and cloud metadata (169.254.0.0/16)")]
    public async Task Without_private_networks_an_address_that_is_not_public_is_refused_before_connecting(string url, string rule)
    {
        using var sender = Sender(allowPrivate: false);
        var (delivery, e) = Delivery(string.Format(System.Globalization.CultureInfo.InvariantCulture, url, Port));

        var outcome = await sender.SendAsync(delivery, e, DateTimeOffset.UtcNow, default);

        var refused = Assert.IsType<AttemptOutcome.NoAnswer>(outcome);
        Assert.StartsWith("refused: ", refused.Error, StringComparison.Ordinal);
        Assert.Contains(rule, refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref _connections));
    }

    [Fact]
    public async Task Without_private_networks_http_is_refused()
    {
        using var sender = Sender(allowPrivate: false);
        var (delivery, e) = Delivery($"http://example.com:{Port}/hook");

        var outcome = await sender.SendAsync(delivery, e, DateTimeOffset.UtcNow, default);

        Assert.Equal(new AttemptOutcome.NoAnswer("refused: the URL must be https"), outcome);
    }

    [Fact]
    public async Task With_private_networks_the_local_receiver_is_reached()
    {
        using var sender = Sender(allowPrivate: true);
        var (delivery, e) = Delivery($"http://127.0.0.1:{Port}/hook");

        var outcome = await sender.SendAsync(delivery, e, DateTimeOffset.UtcNow, default);

        Assert.Equal(new AttemptOutcome.Answered(204), outcome);
        Assert.Equal(1, Volatile.Read(ref _connections));
    }
}
