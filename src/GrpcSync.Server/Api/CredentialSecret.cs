using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GrpcSync.Connectors;
using GrpcSync.Domain;
using GrpcSync.V1;

namespace GrpcSync.Server.Api;

/// <summary>
/// The secret of a CreateCredential request in its two forms: the JSON the connector's shape check reads
/// (a string or an object) and the text that is encrypted and later handed to the connector (a string
/// secret as sent; an object as compact JSON, so connectors read one string either way).
/// </summary>
public sealed record CredentialSecret(string Text, bool IsObject)
{
    /// <summary>Largest stored text (UTF-16 characters), string or JSON object alike.</summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>Reads the request's <c>secret</c> or <c>secretText</c>; null (with a violation) when it has neither or a bad one.</summary>
    public static CredentialSecret? Read(CreateCredentialRequest request, Violations v)
    {
        CredentialSecret? secret = null;
        switch (request.SecretValueCase)
        {
            case CreateCredentialRequest.SecretValueOneofCase.SecretText:
                secret = new CredentialSecret(request.SecretText, IsObject: false);
                break;
            case CreateCredentialRequest.SecretValueOneofCase.Secret:
                var value = request.Secret;
                if (value.KindCase == Value.KindOneofCase.StringValue)
                {
                    secret = new CredentialSecret(value.StringValue, IsObject: false);
                }
                else if (value.KindCase == Value.KindOneofCase.StructValue)
                {
                    if (value.StructValue.Fields.Count == 0)
                    {
                        v.Add("secret", "secret is required: a non-empty string or JSON object.");
                        return null;
                    }
                    if (!v.JsonStruct("secret", value.StructValue))
                    {
                        return null;
                    }
                    secret = new CredentialSecret(JsonFormatter.Default.Format(value.StructValue), IsObject: true);
                }
                else if (value.KindCase is not Value.KindOneofCase.None and not Value.KindOneofCase.NullValue)
                {
                    v.Add("secret", "secret must be a string or a JSON object.");
                    return null;
                }
                break;
        }

        if (secret is null || secret.Text.Length == 0)
        {
            v.Add("secret", "secret is required.");
            return null;
        }
        if (secret.Text.Length > MaxLength)
        {
            v.Add("secret", $"secret must be at most {MaxLength} characters.");
            return null;
        }
        return secret;
    }

    /// <summary>The connector's shape check, when it declares one; each problem becomes a field violation.</summary>
    public void Validate(IConnector? connector, Violations v)
    {
        if (connector is not ICredentialChecks checks)
        {
            return;
        }
        using var document = IsObject ? JsonDocument.Parse(Text) : JsonDocument.Parse(JsonSerializer.Serialize(Text));
        foreach (var problem in checks.ValidateSecret(document.RootElement))
        {
            v.Add(problem.Field, $"{problem.Field} {problem.Description}");
        }
    }

    /// <summary>
    /// One cheap call to the source (<c>"verify": true</c>). A refusal by the source is INVALID_ARGUMENT with
    /// the connector's code as the reason; a source that cannot answer now is UNAVAILABLE. Nothing is stored either way.
    /// </summary>
    public async Task VerifyAsync(string integration, IConnector? connector, CancellationToken ct)
    {
        if (connector is not ICredentialChecks checks)
        {
            throw DomainException.Invalid("verify", $"verify is not supported by integration '{integration}' on this server.");
        }
        try
        {
            await checks.VerifyAsync(Text, ct);
        }
        catch (PermanentSourceException error)
        {
            throw new DomainException(ErrorKind.InvalidArgument, error.Code, error.Message,
                [new FieldViolation("secret", error.Message)]);
        }
        catch (RateLimitedSourceException error)
        {
            throw new DomainException(ErrorKind.Unavailable, "SOURCE_RATE_LIMITED",
                $"The source asked to slow down; retry the verification after {Math.Ceiling(error.RetryAfter.TotalSeconds)} s. {error.Message}");
        }
        catch (TransientSourceException error)
        {
            throw new DomainException(ErrorKind.Unavailable, "SOURCE_UNAVAILABLE", $"The source could not be reached to verify the credential: {error.Message}");
        }
    }
}
