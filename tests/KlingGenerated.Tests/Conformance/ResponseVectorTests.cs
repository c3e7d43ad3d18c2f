using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Conformance;

/// <summary>openapi/conformance/responses.json: every documented code in both delivery forms, and the non-JSON answers.</summary>
[Collection("WireMock")]
public sealed class ResponseVectorTests(WireMockFixture wireMock)
{
    private static readonly Dictionary<string, string> Paths = new()
    {
        ["CreateTask"] = "/api/v1/jobs/createTask",
        ["GetTaskRecord"] = "/api/v1/jobs/recordInfo",
        ["GetRemainingCredits"] = "/api/v1/chat/credit",
        ["GetDownloadUrl"] = "/api/v1/common/download-url",
    };

    public static TheoryData<string> Vectors() => ConformanceVectors.Ids("responses");

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task An_answer_becomes_the_result_or_the_error_kind_the_vector_gives(string id)
    {
        var vector = ConformanceVectors.Get("responses", id);
        var http = (JObject)vector["http"]!;
        var expect = (JObject)vector["expect"]!;
        var operation = (string)vector["operation"]!;
        var client = wireMock.NewClient();
        wireMock.AnswerRaw(Paths[operation], (string)http["body"]!, (int)http["status"]!, (string)http["contentType"]!, (string?)http["headers"]?["Retry-After"]);

        Func<Task<JToken?>> call = operation switch
        {
            "CreateTask" => async () => JToken.FromObject((await client.CreateTaskAsync(
                new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "A paper boat on a rainy street." } }, CancellationToken.None)).Data!),
            "GetRemainingCredits" => async () => (await client.GetRemainingCreditsAsync(CancellationToken.None)).Data is { } credits ? new JValue(credits) : null,
            _ => throw new InvalidDataException($"{id}: no call for {operation}"),
        };

        if ((string)expect["outcome"]! == "success")
        {
            var data = await call();
            JToken.DeepEquals(StripExtensionData(data), expect["data"]).Should().BeTrue("{0}: got {1}", id, data);
            wireMock.Requests.Should().ContainSingle();
            return;
        }

        var error = (await call.Should().ThrowExactlyAsync<KlingApiException>(id)).Which;
        error.Kind.ToString().Should().Be((string)expect["kind"]!, id);
        error.Code.Should().Be((int)expect["code"]!, id);
        error.HttpStatus.Should().Be((int)expect["httpStatus"]!, id);
        error.IsRetryable.Should().Be((bool)expect["retryable"]!, id);
        error.RetryAfter.Should().Be(expect["retryAfterSeconds"] is { } wait ? TimeSpan.FromSeconds((int)wait) : null, id);
        if (expect["serverMessage"] is { } message)
        {
            error.ServerMessage.Should().Be((string)message!, id);
            error.Message.Should().Contain((string)message!);
        }

        wireMock.Requests.Should().ContainSingle("a bare HttpClient sends exactly one request");
    }

    private static JToken? StripExtensionData(JToken? data)
    {
        if (data is JObject obj)
        {
            obj.Remove("AdditionalProperties");
        }

        return data;
    }
}
