using System.Buffers.Text;
using System.Globalization;
using System.Text;
using GrpcSync.Storage;

namespace GrpcSync.Server.Api;

/// <summary>Opaque page tokens for ListSyncRuns: base64url of "createdAtMs:runId" (keyset pagination).</summary>
public static class RunPageToken
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static string Encode(RunPosition position) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            $"{position.CreatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}:{position.Id:N}"));

    public static bool TryDecode(string? token, out RunPosition? position)
    {
        position = null;
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token)).Split(':');
            if (parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
                && Guid.TryParseExact(parts[1], "N", out var id))
            {
                position = new RunPosition(DateTimeOffset.FromUnixTimeMilliseconds(ms), id);
                return true;
            }
        }
        catch (FormatException)
        {
        }
        return false;
    }
}
