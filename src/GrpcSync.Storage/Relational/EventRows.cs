using System.Buffers;
using System.Text.Json;
using GrpcSync.Domain;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// Several events of one change share one sync_events row (migration 0012): <c>event_count</c> members whose
/// <c>data_json</c> is a JSON array of <c>{"id","type","at","data"}</c>. Writing one row for a record page's
/// events, instead of one per record, is what keeps the log's cost small next to the records themselves.
/// </summary>
internal static class EventRows
{
    /// <summary>At most this many events share a row, so a reader resuming inside a row looks back a bounded way.</summary>
    public const int MaxMembers = 256;

    /// <summary>The members array of <paramref name="events"/>[start .. start + count).</summary>
    public static string MembersJson(IReadOnlyList<SyncEvent> events, int start, int count)
    {
        var buffer = new ArrayBufferWriter<byte>(count * 160);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            for (var i = start; i < start + count; i++)
            {
                var e = events[i];
                json.WriteStartObject();
                json.WriteString("id", e.Id);
                json.WriteString("type", e.Type);
                json.WriteNumber("at", e.Timestamp.ToUnixTimeMilliseconds());
                json.WritePropertyName("data");
                json.WriteRawValue(e.DataJson, skipInputValidation: true);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// The events of a row read as <paramref name="row"/> (its first member's id, type and time, and the
    /// members array as <see cref="LoggedEvent.DataJson"/> when <paramref name="count"/> is over 1).
    /// </summary>
    public static IEnumerable<LoggedEvent> Expand(LoggedEvent row, int count)
    {
        if (count == 1)
        {
            return [row];
        }
        var members = new List<LoggedEvent>(count);
        using var document = JsonDocument.Parse(row.DataJson);
        var i = 0;
        foreach (var member in document.RootElement.EnumerateArray())
        {
            members.Add(row with
            {
                Id = member.GetProperty("id").GetGuid(),
                Type = member.GetProperty("type").GetString()!,
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(member.GetProperty("at").GetInt64()),
                DataJson = member.GetProperty("data").GetRawText(),
                Sequence = row.Sequence + i,
                Position = row.Position + i,
            });
            i++;
        }
        if (i != count)
        {
            throw new InvalidDataException($"Event row {row.Id} says {count} events but holds {i}.");
        }
        return members;
    }
}
