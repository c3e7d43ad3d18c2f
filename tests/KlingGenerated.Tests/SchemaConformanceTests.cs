using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using NSwag;

namespace KlingGenerated.Tests;

/// <summary>What the client sends, checked by an independent validator (NJsonSchema) against the document's own schema.</summary>
[Collection("WireMock")]
public sealed class SchemaConformanceTests(WireMockFixture wireMock)
{
    private static readonly Lazy<Task<OpenApiDocument>> Document = new(() => OpenApiYamlDocument.FromFileAsync(Repo.SpecPath));

    public static TheoryData<string> Requests() => Conformance.ConformanceVectors.Ids("requests", v => (string?)v["operation"] == "CreateTask");

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Every_request_body_the_client_sends_validates_against_the_document_schema(string name)
    {
        // The typed inputs of the request vectors (openapi/conformance/requests.json).
        var request = Conformance.RequestVectorTests.CreateRequest((JObject)Conformance.ConformanceVectors.Get("requests", name)["input"]!);
        var client = wireMock.NewClient();
        wireMock.Answer("/api/v1/jobs/createTask", JObject.Parse("""{"code":200,"msg":"success","data":{"taskId":"t"}}"""));

        await client.CreateTaskAsync(request, CancellationToken.None);

        var schema = (await Document.Value).Components.Schemas[KlingModels.Find(request.Model)!.RequestSchema]; // the schema the body's model maps to
        var errors = schema.Validate(wireMock.Requests.Single().RequestMessage.Body!);
        errors.Should().BeEmpty(string.Join("; ", errors.Select(e => e.ToString())));
    }
}
