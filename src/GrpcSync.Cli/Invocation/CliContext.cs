using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcSync.Cli.Output;
using GrpcSync.V1;

namespace GrpcSync.Cli.Invocation;

/// <summary>
/// One command's connection and output: a gRPC channel to <c>--server</c> (native gRPC; h2c for http://), the
/// generated clients of the Contracts library, the call options carrying the bearer token, and the printer.
/// </summary>
public sealed class CliContext : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Metadata _headers = [];

    public CliContext(ParseResult parse)
    {
        ServerAddress = parse.GetValue(GlobalOptions.Server) ?? GlobalOptions.DefaultServer;
        var token = parse.GetValue(GlobalOptions.Token);
        if (string.IsNullOrEmpty(token))
        {
            token = Environment.GetEnvironmentVariable(GlobalOptions.TokenVariable);
        }
        if (!string.IsNullOrEmpty(token))
        {
            _headers.Add("authorization", $"Bearer {token}");
        }
        var stdoutIsTerminal = !Console.IsOutputRedirected;
        Printer = new Printer(parse.GetValue(GlobalOptions.Output) ?? (stdoutIsTerminal ? OutputFormat.Table : OutputFormat.Json), stdoutIsTerminal);

        if (!Uri.TryCreate(ServerAddress, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"--server must be an http:// or https:// address, not '{ServerAddress}'.");
        }
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                // An address nobody answers on fails within seconds (exit code 5), not after the OS's minutes.
                ConnectTimeout = TimeSpan.FromSeconds(10),
                EnableMultipleHttp2Connections = true,
            },
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });
        Syncs = new SyncService.SyncServiceClient(_channel);
        Credentials = new CredentialService.CredentialServiceClient(_channel);
        Events = new EventService.EventServiceClient(_channel);
        Webhooks = new WebhookService.WebhookServiceClient(_channel);
    }

    public string ServerAddress { get; }
    public Printer Printer { get; }
    public OutputFormat Format => Printer.Format;

    public SyncService.SyncServiceClient Syncs { get; }
    public CredentialService.CredentialServiceClient Credentials { get; }
    public EventService.EventServiceClient Events { get; }
    public WebhookService.WebhookServiceClient Webhooks { get; }

    /// <summary>The call options of every call: the token, and the command's cancellation (Ctrl+C, SIGTERM).</summary>
    public CallOptions Call(CancellationToken ct, Metadata? extraHeaders = null)
    {
        if (extraHeaders is null)
        {
            return new CallOptions(_headers, cancellationToken: ct);
        }
        var headers = new Metadata();
        foreach (var entry in _headers.Concat(extraHeaders))
        {
            headers.Add(entry);
        }
        return new CallOptions(headers, cancellationToken: ct);
    }

    public void Dispose() => _channel.Dispose();
}
