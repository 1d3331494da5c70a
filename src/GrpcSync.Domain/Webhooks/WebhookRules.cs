namespace GrpcSync.Domain.Webhooks;

/// <summary>
/// The pure rules of managing webhook endpoints: event-type lists, descriptions, what a PATCH changes, and a
/// secret rotation's grace period. Functions of (endpoint, command, now); no I/O.
/// </summary>
public static class WebhookRules
{
    public const int MaxDescriptionLength = 500;

    public static readonly TimeSpan DefaultGrace = TimeSpan.FromHours(24);

    /// <summary>Longest grace period: long enough for any planned switch-over, short enough that a leaked old secret dies.</summary>
    public static readonly TimeSpan MaxGrace = TimeSpan.FromDays(7);

    public const string DisabledByAdministrator = "Disabled by an administrator.";

    /// <summary>
    /// The event types as stored: each must be a known type (<see cref="Domain.EventTypes.All"/>); duplicates are
    /// dropped, the first order kept. Unknown ones become a violation each, naming the index.
    /// </summary>
    public static IReadOnlyList<string> EventTypes(string field, IEnumerable<string> types, List<FieldViolation> violations)
    {
        var kept = new List<string>();
        var index = 0;
        foreach (var type in types)
        {
            if (!Domain.EventTypes.All.Contains(type, StringComparer.Ordinal))
            {
                violations.Add(new FieldViolation($"{field}[{index}]",
                    $"{field}[{index}] '{Clip(type)}' is not an event type; known types: {string.Join(", ", Domain.EventTypes.All)}."));
            }
            else if (!kept.Contains(type, StringComparer.Ordinal))
            {
                kept.Add(type);
            }
            index++;
        }
        return kept;
    }

    /// <summary>A description: at most <see cref="MaxDescriptionLength"/> characters, no control characters; trimmed.</summary>
    public static string Description(string field, string? description, List<FieldViolation> violations)
    {
        var value = (description ?? "").Trim();
        if (value.Length > MaxDescriptionLength)
        {
            violations.Add(new FieldViolation(field, $"{field} must be at most {MaxDescriptionLength} characters."));
        }
        else if (value.Any(char.IsControl))
        {
            violations.Add(new FieldViolation(field, $"{field} must not contain control characters."));
        }
        return value;
    }

    /// <summary>The grace period of a rotation: absent → <see cref="DefaultGrace"/>; 0 → none; at most <see cref="MaxGrace"/>.</summary>
    public static TimeSpan Grace(string field, int? seconds, List<FieldViolation> violations)
    {
        if (seconds is not { } value)
        {
            return DefaultGrace;
        }
        if (value < 0 || value > MaxGrace.TotalSeconds)
        {
            violations.Add(new FieldViolation(field, $"{field} must be between 0 and {(int)MaxGrace.TotalSeconds} (7 days); got {value}."));
            return DefaultGrace;
        }
        return TimeSpan.FromSeconds(value);
    }

    /// <summary>
    /// The endpoint after a PATCH: only the fields present change. Enabling a disabled endpoint clears its reason
    /// and its failure clock (the administrator says the receiver is fixed); disabling records who did it, and
    /// keeps an existing reason (delivery's) rather than hiding it.
    /// </summary>
    public static WebhookEndpoint Update(WebhookEndpoint endpoint, WebhookUpdate update, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(update);
        var next = endpoint with
        {
            Url = update.Url ?? endpoint.Url,
            EventTypes = update.EventTypes ?? endpoint.EventTypes,
            Description = update.Description ?? endpoint.Description,
            UpdatedAt = now,
        };
        next = update.Enabled switch
        {
            true when !endpoint.Enabled => next with { Enabled = true, DisabledReason = null, FailingSince = null },
            false when endpoint.Enabled => next with { Enabled = false, DisabledReason = DisabledByAdministrator },
            _ => next,
        };
        return next;
    }

    /// <summary>
    /// The endpoint after a secret rotation: <paramref name="newProtectedSecret"/> signs from now on; the current
    /// secret keeps signing until now + <paramref name="grace"/> (none with a zero grace). A second rotation within
    /// the grace period keeps only the secret it replaces: at most two secrets ever sign.
    /// </summary>
    public static WebhookEndpoint Rotate(WebhookEndpoint endpoint, string newProtectedSecret, TimeSpan grace, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrEmpty(newProtectedSecret);
        return grace <= TimeSpan.Zero
            ? endpoint with { ProtectedSecret = newProtectedSecret, ProtectedPreviousSecret = null, PreviousSecretExpiresAt = null, UpdatedAt = now }
            : endpoint with
            {
                ProtectedSecret = newProtectedSecret,
                ProtectedPreviousSecret = endpoint.ProtectedSecret,
                PreviousSecretExpiresAt = now + grace,
                UpdatedAt = now,
            };
    }

    /// <summary>NOT_FOUND: no endpoint with this id in the caller's project (another project's is not told apart).</summary>
    public static DomainException NotFound(string webhookId) =>
        new(ErrorKind.NotFound, "WEBHOOK_NOT_FOUND", $"Webhook not found: {webhookId}");

    private static string Clip(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
