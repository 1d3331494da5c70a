using System.Net;
using GrpcSync.Api.Tests.Fuzz;
using GrpcSync.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Api.Tests.Edge;

/// <summary>The API host with its log entries captured (the storms' <see cref="CapturedLogs"/>), and an HTTP/2 (h2c) client for the gRPC port.</summary>
public abstract class EdgeServerFixture(TestStore store) : ServerFixture(store)
{
    public CapturedLogs Logs { get; } = new();

    /// <summary>Plain HTTP/2 with prior knowledge on the gRPC port: REST over h2c, or hand-made gRPC bodies.</summary>
    public HttpClient Http2 { get; private set; } = null!;

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.AddSingleton<ILoggerProvider>(Logs);
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Http2 = new HttpClient
        {
            BaseAddress = new Uri($"http://127.0.0.1:{GrpcPort}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    public override async Task DisposeAsync()
    {
        Http2?.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>The edge host on a fresh SQLite file.</summary>
public sealed class SqliteEdgeServer() : EdgeServerFixture(TestStore.Sqlite);

/// <summary>The edge host on a fresh PostgreSQL database.</summary>
public sealed class PostgresEdgeServer() : EdgeServerFixture(TestStore.Postgres);
