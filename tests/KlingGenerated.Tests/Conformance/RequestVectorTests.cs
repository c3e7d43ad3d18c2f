using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Conformance;

/// <summary>openapi/conformance/requests.json: typed inputs produce exactly the documented request.</summary>
[Collection("WireMock")]
public sealed class RequestVectorTests(WireMockFixture wireMock)
{
    public static TheoryData<string> Vectors() => ConformanceVectors.Ids("requests");

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task Typed_inputs_produce_exactly_the_request_of_the_vector(string id)
    {
        var vector = ConformanceVectors.Get("requests", id);
        var input = (JObject)vector["input"]!;
        var expected = (JObject)vector["request"]!;
        var client = wireMock.NewClient();
        var path = (string)expected["path"]!;

        switch ((string)vector["operation"]!)
        {
            case "CreateTask":
                wireMock.Answer(path, JObject.Parse("""{"code":200,"msg":"success","data":{"taskId":"task_1"}}"""));
                (await client.CreateTaskAsync(CreateRequest(input), CancellationToken.None)).Data!.TaskId.Should().Be("task_1");
                break;
            case "GetTaskRecord":
                wireMock.Answer(path, JObject.Parse("""{"code":200,"msg":"success","data":{"taskId":"task_1","state":"waiting"}}"""));
                (await client.GetTaskRecordAsync((string)input["taskId"]!, CancellationToken.None)).Data!.TaskId.Should().Be("task_1");
                break;
            case "GetRemainingCredits":
                wireMock.Answer(path, JObject.Parse("""{"code":200,"msg":"success","data":7}"""));
                (await client.GetRemainingCreditsAsync(CancellationToken.None)).Data.Should().Be(7);
                break;
            case "GetDownloadUrl":
                wireMock.Answer(path, JObject.Parse("""{"code":200,"msg":"success","data":"https://example.com/d.mp4"}"""));
                (await client.GetDownloadUrlAsync(new DownloadUrlRequest { Url = new Uri((string)input["url"]!) }, CancellationToken.None))
                    .Data.Should().Be(new Uri("https://example.com/d.mp4"));
                break;
            default:
                throw new InvalidDataException($"{id}: unknown operation {vector["operation"]}");
        }

        var sent = wireMock.Requests.Should().ContainSingle().Subject.RequestMessage;
        sent.Method.Should().Be((string)expected["method"]!);
        sent.Path.Should().Be(path);
        sent.Headers!["Authorization"].Should().Equal($"Bearer {WireMockFixture.ApiKey}");
        sent.Headers["User-Agent"].Should().ContainSingle().Which.Should().NotBeNullOrWhiteSpace();

        var query = (JObject?)expected["query"] ?? [];
        (sent.Query ?? new Dictionary<string, WireMock.Types.WireMockList<string>>()).Keys.Should().BeEquivalentTo(query.Properties().Select(p => p.Name));
        foreach (var (name, value) in query)
        {
            sent.Query![name].Should().Equal((string)value!);
        }

        if (expected["body"] is JObject body)
        {
            ConformanceVectors.JsonEquals(JToken.Parse(sent.Body!), body).Should().BeTrue("{0}: the body sent was {1}", id, sent.Body);
        }
        else
        {
            sent.Body.Should().BeNullOrEmpty();
        }
    }

    /// <summary>The typed request of a vector: camelCase fields, enum values by their member names (the spec's x-enumNames).</summary>
    internal static CreateTaskRequest CreateRequest(JObject input) => new()
    {
        // The type chooses the model (the document's discriminator mapping); a vector for another model needs its own type.
        CallBackUrl = input["model"] is { } model && WireNames<KlingModel>.ToWire(Enum.Parse<KlingModel>((string)model!)) != KlingModels.ModelOf(typeof(CreateTaskRequest))
            ? throw new NotSupportedException($"The vector's model {model} is not the one CreateTaskRequest is mapped to.")
            : input["callBackUrl"] is { } url ? new Uri((string)url!) : null,
        Input = new CreateTaskInput
        {
            Prompt = (string)input["prompt"]!,
            Duration = input["duration"] is { } duration ? Enum.Parse<VideoDuration>((string)duration!) : null,
            AspectRatio = input["aspectRatio"] is { } ratio ? Enum.Parse<AspectRatio>((string)ratio!) : null,
            NegativePrompt = (string?)input["negativePrompt"],
            CfgScale = (double?)input["cfgScale"],
        },
    };
}
