using System.Security.Cryptography;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcSync.Domain;
using GrpcSync.Domain.Webhooks;
using GrpcSync.Server.Auth;
using GrpcSync.Storage;
using GrpcSync.V1;
using Microsoft.AspNetCore.DataProtection;

namespace GrpcSync.Server.Api;

/// <summary>
/// WebhookService: a project's webhook endpoints, for project administrators only (<see cref="CallerExtensions.RequireAdmin"/>,
/// checked before anything else so a user token learns nothing, not even what is invalid). Signing secrets are
/// made here, shown once (create, rotate), and stored protected with Data Protection
/// (<see cref="WebhookSecret.ProtectionPurpose"/>); they are never logged.
/// </summary>
public sealed partial class WebhookApi(IWebhookStore store, IDataProtectionProvider protection, WebhookUrlCheck urls, TimeProvider time)
    : WebhookService.WebhookServiceBase
{
    private readonly IDataProtector _protector = protection.CreateProtector(WebhookSecret.ProtectionPurpose);

    public override async Task<Webhook> CreateWebhook(CreateWebhookRequest request, ServerCallContext context)
    {
        var scope = context.RequireAdmin();
        var problems = new List<FieldViolation>();
        var url = Url("url", request.Url, problems);
        var events = WebhookRules.EventTypes("events", request.Events, problems);
        var description = WebhookRules.Description("description", request.Description, problems);
        ThrowIfAny(problems);
        await urls.EnsureAllowedAsync("url", url!, context.CancellationToken);

        var now = Now();
        var secret = NewSecret();
        var endpoint = new WebhookEndpoint
        {
            Id = Guid.CreateVersion7(now),
            ProjectId = scope.ProjectId,
            Url = url!.AbsoluteUri,
            Description = description,
            EventTypes = events,
            ProtectedSecret = _protector.Protect(secret),
            CreatedAt = now,
            UpdatedAt = now,
        };
        await store.InsertWebhookAsync(endpoint, context.CancellationToken);
        return endpoint.ToProto(secret);
    }

    public override async Task<ListWebhooksResponse> ListWebhooks(ListWebhooksRequest request, ServerCallContext context)
    {
        var scope = context.RequireAdmin();
        var v = new Violations();
        if (request.PageSize is < 0 or > WebhookPageToken.MaxPageSize)
        {
            v.Add("pageSize", $"pageSize must be between 1 and {WebhookPageToken.MaxPageSize} (0 or absent means {WebhookPageToken.DefaultPageSize}).");
        }
        Guid? after = null;
        if (request.PageToken.Length > 0)
        {
            if (WebhookPageToken.TryDecode(request.PageToken, out var lastId))
            {
                after = lastId;
            }
            else
            {
                v.Add("pageToken", "pageToken is not a nextPageToken of ListWebhooks; start again without it.");
            }
        }
        v.ThrowIfAny();

        var pageSize = request.PageSize == 0 ? WebhookPageToken.DefaultPageSize : request.PageSize;
        var page = await store.ListWebhooksAsync(scope.ProjectId, after, pageSize + 1, context.CancellationToken);
        var response = new ListWebhooksResponse();
        response.Data.AddRange(page.Take(pageSize).Select(e => e.ToProto()));
        if (page.Count > pageSize)
        {
            response.NextPageToken = WebhookPageToken.Encode(page[pageSize - 1].Id);
        }
        return response;
    }

    public override async Task<Webhook> GetWebhook(GetWebhookRequest request, ServerCallContext context)
    {
        var scope = context.RequireAdmin();
        var id = WebhookId(request.WebhookId);
        var endpoint = await store.GetWebhookAsync(scope.ProjectId, id, context.CancellationToken)
            ?? throw WebhookRules.NotFound(request.WebhookId);
        return endpoint.ToProto();
    }

    public override async Task<Webhook> UpdateWebhook(UpdateWebhookRequest request, ServerCallContext context)
    {
        var scope = context.RequireAdmin();
        var problems = new List<FieldViolation>();
        var id = WebhookId(request.WebhookId, problems);
        var url = request.HasUrl ? Url("url", request.Url, problems) : null;
        IReadOnlyList<string>? events = request.Events is null ? null : WebhookRules.EventTypes("events", EventStrings(request.Events, problems), problems);
        var description = request.HasDescription ? WebhookRules.Description("description", request.Description, problems) : null;
        var update = new WebhookUpdate(url?.AbsoluteUri, events, description, request.HasEnabled ? request.Enabled : null);
        if (problems.Count == 0 && update.IsEmpty)
        {
            problems.Add(new FieldViolation("body", "Send at least one of url, events, description and enabled."));
        }
        ThrowIfAny(problems);
        if (url is not null)
        {
            await urls.EnsureAllowedAsync("url", url, context.CancellationToken);
        }

        var now = Now();
        var changed = await store.MutateWebhookAsync(scope.ProjectId, id!.Value, e => WebhookRules.Update(e, update, now), context.CancellationToken)
            ?? throw WebhookRules.NotFound(request.WebhookId);
        return changed.ToProto();
    }

    public override async Task<DeleteWebhookResponse> DeleteWebhook(DeleteWebhookRequest request, ServerCallContext context)
    {
        var scope = context.RequireAdmin();
        var id = WebhookId(request.WebhookId);
        if (!await store.DeleteWebhookAsync(scope.ProjectId, id, context.CancellationToken))
        {
            throw WebhookRules.NotFound(request.WebhookId);
        }
        return new DeleteWebhookResponse { Id = id.ToString(), Message = "Webhook successfully deleted" };
    }

    public override async Task<Webhook> RotateWebhookSecret(RotateWebhookSecretRequest request, ServerCallContext context)
    {
        var scope = context.RequireAdmin();
        var problems = new List<FieldViolation>();
        var id = WebhookId(request.WebhookId, problems);
        var grace = WebhookRules.Grace("graceSeconds", request.HasGraceSeconds ? request.GraceSeconds : null, problems);
        ThrowIfAny(problems);

        var now = Now();
        var secret = NewSecret();
        var protectedSecret = _protector.Protect(secret);
        var rotated = await store.MutateWebhookAsync(scope.ProjectId, id!.Value,
                e => WebhookRules.Rotate(e, protectedSecret, grace, now), context.CancellationToken)
            ?? throw WebhookRules.NotFound(request.WebhookId);
        return rotated.ToProto(secret);
    }

    /// <summary>A fresh signing secret: <see cref="WebhookSecret.KeyBytes"/> bytes from the OS's CSPRNG.</summary>
    private static string NewSecret() => WebhookSecret.Format(RandomNumberGenerator.GetBytes(WebhookSecret.KeyBytes));

    private DateTimeOffset Now() => time.GetUtcNow().TruncateToMilliseconds();

    private Uri? Url(string field, string value, List<FieldViolation> problems)
    {
        var url = WebhookUrlRules.Parse(field, value, urls.AllowPrivateNetworks, out var problem);
        if (url is null)
        {
            problems.Add(new FieldViolation(field, problem));
        }
        return url;
    }

    /// <summary>The strings of a PATCH's <c>events</c> array; any other JSON value in it is a violation.</summary>
    private static List<string> EventStrings(ListValue events, List<FieldViolation> problems)
    {
        var strings = new List<string>();
        for (var i = 0; i < events.Values.Count; i++)
        {
            if (events.Values[i].KindCase == Value.KindOneofCase.StringValue)
            {
                strings.Add(events.Values[i].StringValue);
            }
            else
            {
                problems.Add(new FieldViolation($"events[{i}]", $"events[{i}] must be a string (an event type)."));
            }
        }
        return strings;
    }

    private static Guid WebhookId(string raw)
    {
        var problems = new List<FieldViolation>();
        var id = WebhookId(raw, problems);
        ThrowIfAny(problems);
        return id!.Value;
    }

    /// <summary>The path's endpoint id (a UUID), or null with a violation.</summary>
    private static Guid? WebhookId(string raw, List<FieldViolation> problems)
    {
        if (Guid.TryParseExact(raw, "D", out var id))
        {
            return id;
        }
        problems.Add(new FieldViolation("webhookId", string.IsNullOrEmpty(raw)
            ? "webhookId is required."
            : $"webhookId must be a valid UUID (e.g. 3f2504e0-4f89-41d3-9a0c-0305e82c3301), got '{(raw.Length <= 64 ? raw : raw[..64] + "…")}'."));
        return null;
    }

    /// <summary>Every problem of the request at once, as one INVALID_ARGUMENT (the shape <see cref="Violations"/> gives).</summary>
    private static void ThrowIfAny(List<FieldViolation> problems)
    {
        var v = new Violations();
        foreach (var problem in problems)
        {
            v.Add(problem.Field, problem.Description);
        }
        v.ThrowIfAny();
    }
}
