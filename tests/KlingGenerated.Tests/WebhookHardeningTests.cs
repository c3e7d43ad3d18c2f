using System.Text;

namespace KlingGenerated.Tests;

/// <summary>Issue 8, finding 9: the signature is verified before the body is deserialized, and only exact callbacks are accepted.</summary>
public sealed class WebhookHardeningTests
{
    private const string Key = "example-hmac-key";
    private const string TaskId = "task_kling_1765184398475";
    private const long Timestamp = 1765184460;

    // printf 'task_kling_1765184398475.1765184460' | openssl dgst -sha256 -hmac 'example-hmac-key' -binary | base64
    private const string OpensslSignature = "dd9eLDJhBXrjvVesRGamavVllA/pIMSzdiwvUPeJUqg=";

    // The same 32 bytes spelled with the last character's two unused bits set ('g' is 100000, 'h' is 100001).
    private const string NonCanonicalSignature = "dd9eLDJhBXrjvVesRGamavVllA/pIMSzdiwvUPeJUqh=";

    private static readonly DateTimeOffset SignedAt = DateTimeOffset.FromUnixTimeSeconds(Timestamp);

    private static string Callback(string data, string code = "200") => "{\"code\":" + code + ",\"msg\":\"ok\",\"data\":{\"taskId\":\"" + TaskId + "\"" + data + "}}";

    private static KlingCallback Verify(string body, string signature = OpensslSignature) =>
        KlingWebhook.ParseAndVerify(body, Timestamp.ToString(), signature, Key, now: SignedAt);

    [Fact]
    public void A_forged_callback_is_rejected_for_its_signature_before_its_record_is_read()
    {
        // The record is unreadable (createTime is not a number): only deserializing it would find that out.
        var body = Callback(""","state":"success","createTime":"not-a-number" """);

        FluentActions.Invoking(() => Verify(body, Convert.ToBase64String(new byte[32])))
            .Should().Throw<KlingWebhookException>().WithMessage("*does not match*");
        FluentActions.Invoking(() => Verify(body))
            .Should().Throw<KlingWebhookException>().WithMessage("*cannot read*", "a genuine callback is deserialized after it verified");
    }

    [Fact]
    public void A_forged_976_KiB_callback_is_rejected_allocating_a_small_fraction_of_its_size()
    {
        var padding = new StringBuilder(",\"pad\":[");
        while (padding.Length < 976 * 1024)
        {
            padding.Append("{\"a\":1},");
        }

        var body = Callback(padding.Append("1]").ToString());
        body.Length.Should().BeLessThanOrEqualTo(KlingWebhook.MaxBodyLength);
        var forged = Convert.ToBase64String(new byte[32]);
        FluentActions.Invoking(() => Verify(body, forged)).Should().Throw<KlingWebhookException>(); // warms the pools

        // Only the verification is measured: the assertion library's own allocations (regex caches) stay outside.
        KlingWebhookException? refused = null;
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            Verify(body, forged);
        }
        catch (KlingWebhookException exception)
        {
            refused = exception;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        refused.Should().NotBeNull().And.Subject.As<KlingWebhookException>().Message.Should().Contain("does not match");

        // The exception allocates some kilobytes; building the body into objects would be megabytes.
        allocated.Should().BeLessThan(body.Length / 10, "the forged body is scanned once and never built into objects ({0} bytes of body)", body.Length);
    }

    [Fact]
    public void Data_after_the_signed_JSON_object_is_rejected()
    {
        var genuine = Callback(""","state":"success" """);
        Verify(genuine).Code.Should().Be(200);

        FluentActions.Invoking(() => Verify(genuine + """{"code":501}"""))
            .Should().Throw<KlingWebhookException>().WithMessage("*data after its JSON object*");
        FluentActions.Invoking(() => KlingWebhook.Parse(genuine + "x"))
            .Should().Throw<KlingWebhookException>().WithMessage("*data after its JSON object*");
        Verify(genuine + " \r\n").Code.Should().Be(200, "whitespace after the object is not data");
    }

    [Theory]
    [InlineData("2147483648")]
    [InlineData("-2147483649")]
    [InlineData("99999999999999999999999")]
    public void A_code_outside_the_int_range_is_a_KlingWebhookException_not_an_OverflowException(string code)
    {
        var body = Callback(""","state":"success" """, code);

        FluentActions.Invoking(() => Verify(body)).Should().Throw<KlingWebhookException>().WithMessage("*code outside the range*");
        FluentActions.Invoking(() => KlingWebhook.Parse(body)).Should().Throw<KlingWebhookException>().WithMessage("*code outside the range*");
    }

    [Fact]
    public void Only_the_canonical_base64_of_the_signature_is_accepted()
    {
        var body = Callback(""","state":"success" """);
        Convert.FromBase64String(NonCanonicalSignature).Should().Equal(Convert.FromBase64String(OpensslSignature), "both spell the same bytes");

        Verify(body).TaskId.Should().Be(TaskId);
        FluentActions.Invoking(() => Verify(body, NonCanonicalSignature)).Should().Throw<KlingWebhookException>().WithMessage("*does not match*");
        FluentActions.Invoking(() => Verify(body, OpensslSignature.TrimEnd('='))).Should().Throw<KlingWebhookException>();
    }
}
