using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcSync.Domain.Webhooks;
using GrpcSync.Engine.Configuration;
using GrpcSync.Engine.Tests.Infrastructure;
using GrpcSync.Engine.Webhooks;
using GrpcSync.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Tests.Webhooks;

/// <summary>
/// The delivery worker over a real store and real sockets, on the harness's fake clock (so the recorded next
/// attempt time is exact): Retry-After on 429/503, as seconds or as an HTTP date, moves the retry when later than
/// the schedule and is ignored on other statuses; and without AllowPrivateNetworks a host name that resolves to
/// loopback is refused at send time, before any connection, and the refusal is what the delivery records.
/// </summary>
public abstract class WebhookDeliveryWorkerTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : WebhookDeliveryWorkerTests(TestStore.Sqlite);

    public sealed class OnPostgres() : WebhookDeliveryWorkerTests(TestStore.Postgres);

    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly IDataProtectionProvider Protection = new EphemeralDataProtectionProvider();

    private sealed class Secrets : IWebhookSecrets
    {
        public string Reveal(string protectedSecret) => Protection.CreateProtector(WebhookSecret.ProtectionPurpose).Unprotect(protectedSecret);
    }

    /// <summary>An endpoint at <paramref name="url"/> and one sync_disabled event fanned out to it (due now).</summary>
    private async Task<Guid> EndpointWithOneDeliveryAsync(string url)
    {
        var endpoint = new WebhookEndpoint
        {
            Id = Guid.NewGuid(),
            ProjectId = EngineHarness.Scope.ProjectId,
            Url = url,
            ProtectedSecret = Protection.CreateProtector(WebhookSecret.ProtectionPurpose).Protect("whsec_" + Convert.ToBase64String(new byte[32])),
            CreatedAt = H.Now,
            UpdatedAt = H.Now,
        };
        await ((IWebhookStore)H.Store).InsertWebhookAsync(endpoint);
        var credential = await H.AddFakeCredentialAsync();
        var sync = await H.EnableAsync(credential);
        await H.DisableAsync(sync.Id);
        while (await ((IEventStore)H.Store).PlaceEventsAsync(100) > 0)
        {
        }
        return endpoint.Id;
    }

    /// <summary>Runs a worker until the endpoint's one delivery has recorded an attempt, and returns it.</summary>
    private async Task<WebhookDelivery> FirstAttemptAsync(Guid endpoint, bool allowPrivateNetworks)
    {
        var options = Options.Create(new WebhookOptions
        {
            AllowPrivateNetworks = allowPrivateNetworks,
            Timeout = TimeSpan.FromSeconds(5),
            RetrySchedule = [FirstRetry],
            RetryJitter = 0,
        });
        using var sender = new WebhookSender(new Secrets(), options);
        var worker = new WebhookDeliveryWorker((IWebhookDeliveryStore)H.Store, (IEventStore)H.Store, sender, H.Time, options,
            NullLogger<WebhookDeliveryWorker>.Instance);
        await worker.StartAsync(CancellationToken.None);
        try
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (true)
            {
                var delivery = Assert.Single(await ((IWebhookStore)H.Store).ListDeliveriesAsync(EngineHarness.Scope.ProjectId, endpoint, null, null, 10));
                if (delivery.Attempts > 0)
                {
                    return delivery;
                }
                Assert.True(DateTime.UtcNow < deadline, "the worker recorded no attempt in time");
                await Task.Delay(20);
            }
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
            worker.Dispose();
        }
    }

    /// <param name="retryAfter">The header's value: <c>+N</c> / <c>-N</c> = an HTTP date N seconds from the attempt, otherwise as sent.</param>
    [Theory]
    [InlineData(503, "+600", 600)]     // an HTTP date ten minutes on
    [InlineData(429, "+300", 300)]
    [InlineData(503, "120", 120)]      // delay-seconds
    [InlineData(503, "-3600", 1)]      // a date already past: the schedule's first delay
    [InlineData(503, "0", 1)]          // sooner than the schedule: the schedule wins
    [InlineData(500, "120", 1)]        // only 429 and 503 are asked to wait
    [InlineData(503, "soon", 1)]       // unreadable: the schedule
    public async Task Retry_after_on_429_and_503_moves_the_next_attempt_when_later_than_the_schedule(int status, string retryAfter, int expectedSeconds)
    {
        await using var receiver = new CannedHttpListener();
        var attemptAt = H.Now;
        var header = retryAfter[0] is '+' or '-'
            ? attemptAt.AddSeconds(int.Parse(retryAfter, CultureInfo.InvariantCulture)).ToString("R", CultureInfo.InvariantCulture)
            : retryAfter;
        receiver.Response = $"HTTP/1.1 {status} Nope\r\nRetry-After: {header}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        var endpoint = await EndpointWithOneDeliveryAsync($"http://127.0.0.1:{receiver.Port}/hook");

        var delivery = await FirstAttemptAsync(endpoint, allowPrivateNetworks: true);

        Assert.Equal((DeliveryState.Pending, 1, (int?)status), (delivery.State, delivery.Attempts, delivery.LastStatusCode));
        Assert.Equal(attemptAt.AddSeconds(expectedSeconds), delivery.NextAttemptAt);
        Assert.Equal(1, receiver.Connections);
    }

    [Fact]
    public async Task Without_private_networks_a_host_name_resolving_to_loopback_is_refused_at_send_time_and_recorded()
    {
        await using var receiver = new CannedHttpListener();
        var endpoint = await EndpointWithOneDeliveryAsync($"https://localhost:{receiver.Port}/hook"); // passed create-time checks earlier, say

        var delivery = await FirstAttemptAsync(endpoint, allowPrivateNetworks: false);

        Assert.Equal((DeliveryState.Pending, 1, (int?)null, (DateTimeOffset?)H.Now + FirstRetry),
            (delivery.State, delivery.Attempts, delivery.LastStatusCode, delivery.NextAttemptAt));
        Assert.StartsWith("refused: localhost resolves to ", delivery.LastError, StringComparison.Ordinal);
        Assert.Contains("which is loopback", delivery.LastError, StringComparison.Ordinal);
        Assert.Equal(0, receiver.Connections); // refused before connecting
    }

    /// <summary>A loopback listener that answers every request with <see cref="Response"/> and counts connections.</summary>
    private sealed class CannedHttpListener : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private int _connections;

        public CannedHttpListener()
        {
            _listener.Start();
            _accepting = Task.Run(AcceptAsync);
        }

        public string Response { get; set; } = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        private async Task AcceptAsync()
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
                await stream.WriteAsync(Encoding.ASCII.GetBytes(Response), _stop.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _accepting;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
            _stop.Dispose();
        }
    }
}
