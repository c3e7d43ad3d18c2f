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

    /// <summary>
    /// The typed request of a vector: the model's generated request type (the enum member <c>model</c> names, else the
    /// default model), with each camelCase field set on its generated input type, enum values by their member names (the
    /// spec's x-enumNames). Nothing here names a model or a field: a model added to the document is built the same way.
    /// </summary>
    internal static VideoTaskRequest CreateRequest(JObject input)
    {
        var modelId = input["model"] is { } member ? WireNames<KlingModel>.ToWire(Enum.Parse<KlingModel>((string)member!)) : KlingModels.ModelOf(typeof(CreateTaskRequest));
        var model = KlingModels.Find(modelId) ?? throw new InvalidDataException($"The document has no model {modelId}.");
        var request = (VideoTaskRequest)Activator.CreateInstance(model.RequestType)!;
        var inputProperty = model.RequestType.GetProperty("Input")!;
        var typedInput = Activator.CreateInstance(inputProperty.PropertyType)!;
        inputProperty.SetValue(request, typedInput);
        foreach (var (name, value) in input)
        {
            if (name == "model")
            {
                continue;
            }

            if (name == "callBackUrl")
            {
                request.CallBackUrl = new Uri((string)value!);
                continue;
            }

            var property = inputProperty.PropertyType.GetProperties().SingleOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new InvalidDataException($"{model.Id}'s generated input {inputProperty.PropertyType.Name} has no field {name}.");
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            property.SetValue(typedInput, type.IsEnum ? Enum.Parse(type, (string)value!) : value!.ToObject(property.PropertyType));
        }

        return request;
    }
}
