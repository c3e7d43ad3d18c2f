using System.Net;
using System.Text;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Conformance;

/// <summary>
/// The simulator runs the same validator on the raw body it receives: every invalid createTask vector, sent as JSON
/// text (lone surrogates as JSON escapes, which no C# client can send), is answered 422 naming the field, never a 500.
/// </summary>
[Collection("Simulator")]
public sealed class SimulatorValidationVectorTests(SimulatorFixture fixture)
{
    public static TheoryData<string> InvalidCreateTaskVectors() => ConformanceVectors.Ids("validation",
        v => !(bool)v["valid"]! && v["operation"] is null && v["number"] is null && v["absent"] is null && (string)v["field"]! != "model");

    [Theory]
    [MemberData(nameof(InvalidCreateTaskVectors))]
    public async Task An_invalid_vector_sent_raw_to_the_simulator_is_answered_422_naming_its_field(string id)
    {
        var vector = ConformanceVectors.Get("validation", id);
        var field = (string)vector["field"]!;
        var body = (JObject)(vector["base"] ?? ConformanceVectors.File("validation")["base"])!.DeepClone(); // a vector of another model brings its own base
        var value = vector["text"] is JObject text ? new JValue(ConformanceVectors.Text(text)) : vector["value"]!.DeepClone();
        var path = field.Split('.');
        var parent = path.Length == 1 ? body : (JObject)(body[path[0]] ??= new JObject());
        parent[path[^1]] = value;

        // Newtonsoft writes a lone surrogate as a \uXXXX escape: the bytes on the wire are what a port in another language sends.
        var json = body.ToString(Newtonsoft.Json.Formatting.None, new Newtonsoft.Json.Converters.StringEnumConverter());
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Simulator.BaseUrl, "api/v1/jobs/createTask"))
        {
            Content = new StringContent(EscapeSurrogates(json), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", fixture.Simulator.ApiKey);
        using var response = await http.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();

        ((int)response.StatusCode).Should().BeLessThan(500, "{0}: a bad request is the client's fault, never a server error ({1})", id, answer);
        var envelope = JObject.Parse(answer);
        ((int)envelope["code"]!).Should().Be(422, "{0}: {1}", id, answer);
        ((string)envelope["msg"]!).Should().Contain(field.Split('.')[^1], id);
    }

    [Fact]
    public async Task A_prompt_with_a_lone_surrogate_escape_is_answered_422_by_the_simulator_never_500()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Simulator.BaseUrl, "api/v1/jobs/createTask"))
        {
            Content = new StringContent("""{"model":"kling/v2-5-turbo-text-to-video-pro","input":{"prompt":"A paper boat \ud83d"}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", fixture.Simulator.ApiKey);
        using var response = await http.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();

        ((int)response.StatusCode).Should().BeLessThan(500, answer);
        ((int)JObject.Parse(answer)["code"]!).Should().Be(422, answer);
        ((string)JObject.Parse(answer)["msg"]!).Should().Contain("prompt").And.Contain("surrogate");
    }

    [Fact]
    public async Task A_prompt_with_a_lone_surrogate_is_refused_by_the_client_before_anything_is_sent()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, """{"code":200,"msg":"success","data":{"taskId":"task_1"}}"""));
        var client = new KlingClient(new KlingClientOptions { ApiKey = "k", BaseUrl = server.BaseUrl });

        var error = (await client.Invoking(c => c.CreateTaskAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "A paper boat \ud83d" } }, CancellationToken.None))
            .Should().ThrowAsync<System.ComponentModel.DataAnnotations.ValidationException>()).Which;

        error.Message.Should().Contain("input.prompt").And.Contain("surrogate").And.Contain("not sent");
        server.Requests.Should().BeEmpty();
    }

    private static string EscapeSurrogates(string json)
    {
        var builder = new StringBuilder(json.Length);
        foreach (var c in json)
        {
            builder.Append(char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return builder.ToString();
    }
}
