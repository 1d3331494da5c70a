using System.Security.Cryptography;
using System.Text;
using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Domain.Tests.Webhooks;

public sealed class WebhookSignerTests
{
    // The Standard Webhooks cross-library test vector (libraries/javascript/src/webhook.test.ts and the others).
    private const string SpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string SpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long SpecTimestamp = 1614265330;
    private static readonly byte[] SpecBody = Encoding.UTF8.GetBytes("""{"test": 2432232314}""");

    [Fact]
    public void Signs_the_spec_test_vector()
    {
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", WebhookSigner.Sign(SpecSecret, SpecId, SpecTimestamp, SpecBody));
    }

    [Fact]
    public void Any_change_to_id_timestamp_body_or_key_changes_the_signature()
    {
        var expected = WebhookSigner.Sign(SpecSecret, SpecId, SpecTimestamp, SpecBody);
        Assert.NotEqual(expected, WebhookSigner.Sign(SpecSecret, SpecId + "x", SpecTimestamp, SpecBody));
        Assert.NotEqual(expected, WebhookSigner.Sign(SpecSecret, SpecId, SpecTimestamp + 1, SpecBody));
        Assert.NotEqual(expected, WebhookSigner.Sign(SpecSecret, SpecId, SpecTimestamp, Encoding.UTF8.GetBytes("""{"test":2432232314}""")));
        Assert.NotEqual(expected, WebhookSigner.Sign(NewSecret(), SpecId, SpecTimestamp, SpecBody));
    }

    [Fact]
    public void During_rotation_the_header_carries_one_entry_per_active_secret_space_separated()
    {
        var previous = NewSecret();
        var now = DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp);
        var active = WebhookSigner.ActiveSecrets(SpecSecret, previous, now.AddHours(1), now);

        var header = WebhookSigner.SignatureHeader(active, SpecId, SpecTimestamp, SpecBody);

        Assert.Equal(
            [WebhookSigner.Sign(SpecSecret, SpecId, SpecTimestamp, SpecBody), WebhookSigner.Sign(previous, SpecId, SpecTimestamp, SpecBody)],
            header.Split(' '));
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", header.Split(' ')[0]);
    }

    [Fact]
    public void The_previous_secret_stops_signing_when_its_grace_period_ends()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp);
        Assert.Equal([SpecSecret], WebhookSigner.ActiveSecrets(SpecSecret, NewSecret(), now, now));
        Assert.Equal([SpecSecret], WebhookSigner.ActiveSecrets(SpecSecret, null, null, now));
        Assert.Single(WebhookSigner.SignatureHeader(WebhookSigner.ActiveSecrets(SpecSecret, NewSecret(), now.AddSeconds(-1), now),
            SpecId, SpecTimestamp, SpecBody).Split(' '));
    }

    [Fact]
    public void The_key_is_the_base64_after_the_prefix()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(key, WebhookSigner.KeyOf("whsec_" + Convert.ToBase64String(key)));
        Assert.Throws<FormatException>(() => WebhookSigner.KeyOf("whsec_not base64!"));
    }

    private static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
