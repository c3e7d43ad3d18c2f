using System.ComponentModel.DataAnnotations;
using KlingGenerated.OpenApi;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Conformance;

/// <summary>
/// openapi/conformance/validation.json: every constraint at its boundaries. A value the C# types can carry goes through
/// the client (sent when valid, refused naming the field with nothing sent when not); a value they cannot carry (a
/// string cfg_scale, an undefined enum, a missing required field) goes through the same document-driven check the
/// client runs before sending.
/// </summary>
[Collection("WireMock")]
public sealed class ValidationVectorTests(WireMockFixture wireMock)
{
    private const string CreateTaskPath = "/api/v1/jobs/createTask";

    public static TheoryData<string> Vectors() => ConformanceVectors.Ids("validation");

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task A_value_at_a_documented_boundary_is_sent_exactly_when_the_vector_says_it_is_valid(string id)
    {
        var vector = ConformanceVectors.Get("validation", id);
        var field = (string)vector["field"]!;
        var valid = (bool)vector["valid"]!;

        if ((string?)vector["operation"] == "GetTaskRecord")
        {
            await CheckTaskQuery((string)vector["value"]!, valid);
            return;
        }

        var body = (JObject)(vector["base"] ?? ConformanceVectors.File("validation")["base"])!.DeepClone(); // a vector of another model brings its own base
        var number = (string?)vector["number"];
        if (vector["absent"] is not null)
        {
            body.SelectToken(field)!.Parent!.Remove();
        }
        else if (number is null)
        {
            var value = vector["text"] is JObject text ? new JValue(ConformanceVectors.Text(text)) : vector["value"]!.DeepClone();
            if (vector["utf16Length"] is { } length)
            {
                ((string)value!).Length.Should().Be((int)length, "{0}: the text is that many UTF-16 code units", id);
            }

            Set(body, field, value);
        }

        var typed = Typed(body, number);
        if (typed is null)
        {
            // Not representable in the C# types: the check the client runs before sending, on the raw JSON.
            using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body.ToString(Formatting.None)));
            var problems = RequestValidator.Validate("POST", CreateTaskPath, stream);
            if (valid)
            {
                problems.Should().BeEmpty(id);
            }
            else
            {
                problems.Should().Contain(p => p.Contains(field, StringComparison.Ordinal), id);
            }

            return;
        }

        var client = wireMock.NewClient();
        wireMock.Answer(CreateTaskPath, JObject.Parse("""{"code":200,"msg":"success","data":{"taskId":"task_1"}}"""));
        if (valid)
        {
            (await client.CreateTaskAsync(typed, CancellationToken.None)).Data!.TaskId.Should().Be("task_1");
            var sent = JToken.Parse(wireMock.Requests.Should().ContainSingle().Subject.RequestMessage.Body!);
            ConformanceVectors.JsonEquals(sent.SelectToken(field), body.SelectToken(field)).Should().BeTrue("{0}: the value is sent unchanged", id);
        }
        else
        {
            var error = (await client.Invoking(c => c.CreateTaskAsync(typed, CancellationToken.None)).Should().ThrowExactlyAsync<ValidationException>(id)).Which;
            error.Message.Should().Contain(field).And.Contain("not sent");
            wireMock.Requests.Should().BeEmpty("{0}: nothing may reach the server when validation fails", id);
        }
    }

    private async Task CheckTaskQuery(string taskId, bool valid)
    {
        var client = wireMock.NewClient();
        wireMock.Answer("/api/v1/jobs/recordInfo", JObject.Parse("""{"code":200,"msg":"success","data":{"taskId":"task_1","state":"waiting"}}"""));
        if (valid)
        {
            await client.GetTaskRecordAsync(taskId, CancellationToken.None);
            wireMock.Requests.Should().ContainSingle();
        }
        else
        {
            (await client.Invoking(c => c.GetTaskRecordAsync(taskId, CancellationToken.None)).Should().ThrowAsync<ValidationException>()).Which.Message.Should().Contain("taskId");
            wireMock.Requests.Should().BeEmpty();
        }
    }

    private static void Set(JObject body, string field, JToken value)
    {
        var parts = field.Split('.');
        var parent = parts[..^1].Aggregate(body, (node, name) => (JObject)node[name]!);
        parent[parts[^1]] = value;
    }

    /// <summary>The request as C# types, or null when they cannot carry the vector's JSON unchanged.</summary>
    private static VideoTaskRequest? Typed(JObject body, string? number)
    {
        VideoTaskRequest request;
        try
        {
            // The generated converter reads the request type the body's model maps to.
            request = body.ToObject<VideoTaskRequest>(JsonSerializer.Create(new JsonSerializerSettings { FloatParseHandling = FloatParseHandling.Double }))!;
        }
        catch (JsonException)
        {
            return null;
        }

        if (number is not null)
        {
            // NaN and infinities cannot be written in JSON: set on the typed input's cfg_scale (the number vectors' field).
            var input = request.GetType().GetProperty("Input")!.GetValue(request)!;
            input.GetType().GetProperty(nameof(CreateTaskInput.CfgScale))!.SetValue(input, double.Parse(number, System.Globalization.CultureInfo.InvariantCulture));
            return request;
        }

        // Newtonsoft would turn "0.5" into 0.5 or a missing model into the default: only an exact round trip counts.
        return ConformanceVectors.JsonEquals(JObject.FromObject(request, JsonSerializer.Create(new JsonSerializerSettings { NullValueHandling = NullValueHandling.Ignore })), body) ? request : null;
    }
}
