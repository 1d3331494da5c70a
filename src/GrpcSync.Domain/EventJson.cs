using System.Text;
using System.Text.Json;

namespace GrpcSync.Domain;

/// <summary>
/// The one JSON form of an event, the same wherever it goes out (lists today; webhooks and streams next):
/// Paragon's standard properties plus ours, <c>data</c> as the decision wrote it.
/// </summary>
public static class EventJson
{
    public static string Render(LoggedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("event", e.Type);
            writer.WriteString("eventId", e.Id.ToString());
            writer.WriteNumber("sequence", e.Sequence);
            writer.WriteString("timestamp", SyncEvents.Rfc3339(e.Timestamp));
            writer.WriteString("sync", e.Integration);
            writer.WriteString("syncInstanceId", e.SyncId.ToString());
            writer.WriteStartObject("user");
            writer.WriteString("id", e.UserId);
            writer.WriteEndObject();
            if (e.CredentialId is { } credentialId)
            {
                writer.WriteString("credentialId", credentialId.ToString());
            }
            else
            {
                writer.WriteNull("credentialId");
            }
            writer.WritePropertyName("data");
            using (var data = JsonDocument.Parse(e.DataJson))
            {
                data.RootElement.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
