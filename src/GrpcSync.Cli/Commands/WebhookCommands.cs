using System.CommandLine;
using Google.Protobuf.WellKnownTypes;
using GrpcSync.V1;

namespace GrpcSync.Cli.Commands;

/// <summary><c>grpcsync webhooks …</c>: WebhookService (a project administrator's token).</summary>
public static class WebhookCommands
{
    public static Command Build()
    {
        var webhooks = new Command("webhooks", "Register webhook endpoints and inspect their deliveries (admin token).");
        webhooks.Subcommands.Add(Create());
        webhooks.Subcommands.Add(List());
        webhooks.Subcommands.Add(Get());
        webhooks.Subcommands.Add(Update());
        webhooks.Subcommands.Add(Delete());
        webhooks.Subcommands.Add(RotateSecret());
        webhooks.Subcommands.Add(Deliveries());
        webhooks.Subcommands.Add(Redeliver());
        return webhooks;
    }

    private static Option<string[]> EventsOption() => new("--event")
    {
        Description = "An event type to send (repeat the option); none: every type.",
        AllowMultipleArgumentsPerToken = true,
    };

    private static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The receiver's https URL.", Required = true };
        var events = EventsOption();
        var description = new Option<string?>("--description") { Description = "What the endpoint is for." };
        return CommandBuilder.Showing("create", "Register an endpoint; the answer shows its signing secret once.", [url, events, description], (cli, parse, ct) =>
        {
            var request = new CreateWebhookRequest { Url = parse.GetValue(url)!, Description = parse.GetValue(description) ?? "" };
            request.Events.AddRange(parse.GetValue(events) ?? []);
            return cli.Webhooks.CreateWebhookAsync(request, cli.Call(ct)).ResponseAsync;
        });
    }

    private static Command List()
    {
        var pageSize = Arguments.PageSize("Endpoints per page.");
        var pageToken = Arguments.PageToken();
        return CommandBuilder.Listing("list", "List the project's endpoints.", [pageSize, pageToken], (cli, parse, ct) =>
            cli.Webhooks.ListWebhooksAsync(
                new ListWebhooksRequest { PageSize = parse.GetValue(pageSize), PageToken = parse.GetValue(pageToken) ?? "" }, cli.Call(ct)).ResponseAsync,
            "data", Columns.Webhooks, response => response.NextPageToken);
    }

    private static Command Get() => CommandBuilder.ForId("get", "Show one endpoint.", Arguments.WebhookId(),
        (cli, id, ct) => cli.Webhooks.GetWebhookAsync(new GetWebhookRequest { WebhookId = id }, cli.Call(ct)).ResponseAsync);

    private static Command Update()
    {
        var id = Arguments.WebhookId();
        var url = new Option<string?>("--url") { Description = "A new URL." };
        var events = EventsOption();
        var allEvents = new Option<bool>("--all-events") { Description = "Send every event type again (clears the list)." };
        var description = new Option<string?>("--description") { Description = "A new description." };
        var enabled = new Option<bool?>("--enabled") { Description = "true or false: resume or pause deliveries." };
        var command = CommandBuilder.Showing("update", "Change only the fields given.", [id, url, events, allEvents, description, enabled], (cli, parse, ct) =>
        {
            var request = new UpdateWebhookRequest { WebhookId = parse.GetValue(id)! };
            if (parse.GetValue(url) is { } newUrl)
            {
                request.Url = newUrl;
            }
            if (parse.GetValue(events) is { Length: > 0 } types)
            {
                request.Events = new ListValue();
                request.Events.Values.AddRange(types.Select(Value.ForString));
            }
            else if (parse.GetValue(allEvents))
            {
                request.Events = new ListValue();
            }
            if (parse.GetValue(description) is { } text)
            {
                request.Description = text;
            }
            if (parse.GetValue(enabled) is { } on)
            {
                request.Enabled = on;
            }
            return cli.Webhooks.UpdateWebhookAsync(request, cli.Call(ct)).ResponseAsync;
        });
        command.Validators.Add(result =>
        {
            if (result.GetResult(events) is not null && result.GetResult(allEvents) is not null)
            {
                result.AddError("Give --event or --all-events, not both.");
            }
        });
        return command;
    }

    private static Command Delete() => CommandBuilder.ForId("delete", "Delete an endpoint and its delivery log.", Arguments.WebhookId(),
        (cli, id, ct) => cli.Webhooks.DeleteWebhookAsync(new DeleteWebhookRequest { WebhookId = id }, cli.Call(ct)).ResponseAsync);

    private static Command RotateSecret()
    {
        var id = Arguments.WebhookId();
        var grace = new Option<int?>("--grace-seconds") { Description = "How long the previous secret keeps signing too." };
        return CommandBuilder.Showing("rotate-secret", "Make a new signing secret (shown once).", [id, grace], (cli, parse, ct) =>
        {
            var request = new RotateWebhookSecretRequest { WebhookId = parse.GetValue(id)! };
            if (parse.GetValue(grace) is { } seconds)
            {
                request.GraceSeconds = seconds;
            }
            return cli.Webhooks.RotateWebhookSecretAsync(request, cli.Call(ct)).ResponseAsync;
        });
    }

    private static Command Deliveries()
    {
        var id = Arguments.WebhookId();
        var state = new Option<string?>("--state") { Description = "Only PENDING, SUCCEEDED or FAILED deliveries." };
        var pageSize = Arguments.PageSize("Deliveries per page.");
        var pageToken = Arguments.PageToken();
        return CommandBuilder.Listing("deliveries", "List an endpoint's deliveries, newest first.", [id, state, pageSize, pageToken], (cli, parse, ct) =>
            cli.Webhooks.ListWebhookDeliveriesAsync(new ListWebhookDeliveriesRequest
            {
                WebhookId = parse.GetValue(id)!,
                State = parse.GetValue(state) ?? "",
                PageSize = parse.GetValue(pageSize),
                PageToken = parse.GetValue(pageToken) ?? "",
            }, cli.Call(ct)).ResponseAsync, "data", Columns.Deliveries, response => response.NextPageToken);
    }

    private static Command Redeliver()
    {
        var id = Arguments.WebhookId();
        var delivery = Arguments.DeliveryId();
        return CommandBuilder.Showing("redeliver", "Send a delivery again now (its schedule restarts).", [id, delivery], (cli, parse, ct) =>
            cli.Webhooks.RedeliverWebhookDeliveryAsync(
                new RedeliverWebhookDeliveryRequest { WebhookId = parse.GetValue(id)!, DeliveryId = parse.GetValue(delivery)! }, cli.Call(ct)).ResponseAsync);
    }
}
