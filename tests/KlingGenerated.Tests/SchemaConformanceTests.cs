using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using NSwag;

namespace KlingGenerated.Tests;

/// <summary>What the client sends, checked by an independent validator (NJsonSchema) against the document's own schema.</summary>
[Collection("WireMock")]
public sealed class SchemaConformanceTests(WireMockFixture wireMock)
{
    private static readonly Lazy<Task<OpenApiDocument>> Document = new(() => OpenApiYamlDocument.FromFileAsync(Repo.SpecPath));

    public static TheoryData<string> Requests() => new("seed", "minimal", "everything", "tenMinuteSquare");

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Every_request_body_the_client_sends_validates_against_the_document_schema(string name)
    {
        var seed = (JObject)Repo.Examples("$.paths['/api/v1/jobs/createTask'].post.requestBody.content['application/json'].examples")["seed"]["value"]!;
        var request = name switch
        {
            "seed" => seed.ToObject<CreateTaskRequest>()!,
            "minimal" => new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "p" } },
            "everything" => new CreateTaskRequest
            {
                CallBackUrl = new Uri("https://example.com/hook?x=1"),
                Input = new CreateTaskInput { Prompt = "p", Duration = VideoDuration.TenSeconds, AspectRatio = AspectRatio.Portrait9x16, NegativePrompt = "n", CfgScale = 1 },
            },
            _ => new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "q", Duration = VideoDuration.TenSeconds, AspectRatio = AspectRatio.Square1x1, CfgScale = 0 } },
        };
        var client = wireMock.NewClient();
        wireMock.Answer("/api/v1/jobs/createTask", JObject.Parse("""{"code":200,"msg":"success","data":{"taskId":"t"}}"""));

        await client.CreateTaskAsync(request, CancellationToken.None);

        var schema = (await Document.Value).Components.Schemas["CreateTaskRequest"];
        var errors = schema.Validate(wireMock.Requests.Single().RequestMessage.Body!);
        errors.Should().BeEmpty(string.Join("; ", errors.Select(e => e.ToString())));
    }
}
