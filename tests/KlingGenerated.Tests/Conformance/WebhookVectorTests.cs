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
        var tolerance = TimeSpan.FromSeconds((int)ConformanceVectors.File("webhooks")["toleranceSeconds"]!);
        var verify = () => KlingWebhook.ParseAndVerify((string)vector["body"]!, (string?)headers["X-Webhook-Timestamp"], (string?)headers["X-Webhook-Signature"],
            (string)vector["key"]!, tolerance, now);

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
