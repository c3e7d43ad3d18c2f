using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Conformance;

/// <summary>openapi/conformance/webhooks.json: genuine callbacks verify, every forged, stale or malformed one is rejected.</summary>
public sealed class WebhookVectorTests
{
    public static TheoryData<string> Vectors() => ConformanceVectors.Ids("webhooks");

    [Theory]
    [MemberData(nameof(Vectors))]
    public void A_callback_is_accepted_or_rejected_as_the_vector_says(string id)
    {
        var vector = ConformanceVectors.Get("webhooks", id);
        var headers = (JObject)vector["headers"]!;
        var expect = (JObject)vector["expect"]!;
        var now = DateTimeOffset.FromUnixTimeSeconds((long)vector["now"]!);
        // The library's own window (the document's toleranceSeconds); The_default_tolerance_is_the_window_of_the_vectors pins it to the file's.
        var verify = () => KlingWebhook.ParseAndVerify(BodyOf(vector), (string?)headers["X-Webhook-Timestamp"], (string?)headers["X-Webhook-Signature"],
            (string)vector["key"]!, tolerance: null, now);

        if ((bool)expect["accepted"]!)
        {
            var callback = verify();
            callback.TaskId.Should().Be((string)expect["taskId"]!, id);
            callback.Code.Should().Be((int)expect["code"]!, id);
            callback.Record.RawState.Should().Be((string?)expect["state"], id);
        }
        else
        {
            verify.Should().Throw<KlingWebhookException>(id);
        }
    }

    /// <summary>The vector's body, followed by spaces up to <c>padTo</c> UTF-8 bytes when it says so.</summary>
    private static string BodyOf(JObject vector)
    {
        var body = (string)vector["body"]!;
        return vector["padTo"] is { } padTo ? body + new string(' ', (int)padTo - System.Text.Encoding.UTF8.GetByteCount(body)) : body;
    }

    public static TheoryData<string> Signed() => ConformanceVectors.Ids("webhooks", v => (bool)v["expect"]!["accepted"]!);

    [Theory]
    [MemberData(nameof(Signed))]
    public void The_signature_of_every_accepted_vector_is_the_one_the_library_computes(string id)
    {
        var vector = ConformanceVectors.Get("webhooks", id);
        KlingWebhook.ComputeSignature((string)vector["expect"]!["taskId"]!, long.Parse((string)vector["headers"]!["X-Webhook-Timestamp"]!), (string)vector["key"]!)
            .Should().Be((string)vector["headers"]!["X-Webhook-Signature"]!);
    }

    [Fact]
    public void The_default_tolerance_is_the_window_of_the_vectors()
    {
        KlingWebhook.DefaultTolerance.Should().Be(TimeSpan.FromSeconds((int)ConformanceVectors.File("webhooks")["toleranceSeconds"]!));
    }
}
