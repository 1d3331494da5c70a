using System.CommandLine;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcSync.Cli.Invocation;
using GrpcSync.V1;

namespace GrpcSync.Cli.Commands;

/// <summary><c>grpcsync credentials …</c>: CredentialService. Secrets go in and are never shown again.</summary>
public static class CredentialCommands
{
    public static Command Build()
    {
        var credentials = new Command("credentials", "Store and manage the credentials Syncs read with.");
        credentials.Subcommands.Add(Create());
        credentials.Subcommands.Add(List());
        credentials.Subcommands.Add(Get());
        credentials.Subcommands.Add(Delete());
        return credentials;
    }

    private static Command Create()
    {
        var integration = new Option<string>("--integration") { Description = "The integration key, e.g. filesystem or s3.", Required = true };
        var name = new Option<string>("--name") { Description = "A display name.", Required = true };
        var secret = new Option<string?>("--secret") { Description = "The secret as text (e.g. a filesystem account's path)." };
        var secretJson = new Option<string?>("--secret-json") { Description = "The secret as a JSON value (e.g. an S3 key pair object)." };
        var secretFile = new Option<FileInfo?>("--secret-file") { Description = "Read the secret (a JSON value) from this file; keeps it out of the shell history." };
        var verify = new Option<bool>("--verify") { Description = "Have the connector check the secret with the source first." };
        var idempotencyKey = new Option<string?>("--idempotency-key") { Description = "Retry-safe create: the same key and request return the same credential." };
        var command = CommandBuilder.Showing("create", "Store a credential (exactly one of --secret, --secret-json, --secret-file).",
            [integration, name, secret, secretJson, secretFile, verify, idempotencyKey], async (cli, parse, ct) =>
        {
            var request = new CreateCredentialRequest
            {
                Integration = parse.GetValue(integration)!,
                DisplayName = parse.GetValue(name)!,
                Verify = parse.GetValue(verify),
            };
            if (parse.GetValue(secret) is { } text)
            {
                request.Secret = Value.ForString(text);
            }
            else if (parse.GetValue(secretJson) is { } json)
            {
                request.Secret = ParseValue("--secret-json", json);
            }
            else if (parse.GetValue(secretFile) is { } file)
            {
                request.Secret = ParseValue("--secret-file", await File.ReadAllTextAsync(file.FullName, ct));
            }
            var headers = parse.GetValue(idempotencyKey) is { } key ? new Metadata { { "idempotency-key", key } } : null;
            return await cli.Credentials.CreateCredentialAsync(request, cli.Call(ct, headers));
        });
        command.Validators.Add(result =>
        {
            var given = new[] { secret, secretJson, (System.CommandLine.Option)secretFile }.Count(o => result.GetResult(o) is not null);
            if (given != 1)
            {
                result.AddError("Give exactly one of --secret, --secret-json and --secret-file.");
            }
        });
        return command;
    }

    private static Command List()
    {
        var integration = new Option<string?>("--integration") { Description = "Only credentials of this integration." };
        return CommandBuilder.Listing("list", "List your credentials.", [integration], (cli, parse, ct) =>
            cli.Credentials.ListCredentialsAsync(new ListCredentialsRequest { Integration = parse.GetValue(integration) ?? "" }, cli.Call(ct)).ResponseAsync,
            "data", Columns.Credentials);
    }

    private static Command Get() => CommandBuilder.ForId("get", "Show one credential (never its secret).", Arguments.CredentialId(),
        (cli, id, ct) => cli.Credentials.GetCredentialAsync(new GetCredentialRequest { CredentialId = id }, cli.Call(ct)).ResponseAsync);

    private static Command Delete() => CommandBuilder.ForId("delete", "Delete a credential; the Syncs bound to it become ERRORED.", Arguments.CredentialId(),
        (cli, id, ct) => cli.Credentials.DeleteCredentialAsync(new DeleteCredentialRequest { CredentialId = id }, cli.Call(ct)).ResponseAsync);

    private static Value ParseValue(string option, string json)
    {
        try
        {
            return Value.Parser.ParseJson(json);
        }
        catch (Exception error) when (error is Google.Protobuf.InvalidJsonException or Google.Protobuf.InvalidProtocolBufferException or FormatException)
        {
            throw new UsageException($"{option} must be JSON (a string in quotes, or an object): {error.Message}");
        }
    }
}
