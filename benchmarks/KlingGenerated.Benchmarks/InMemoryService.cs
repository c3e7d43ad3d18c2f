using System.Net;
using System.Text.Json.Nodes;
using KlingGenerated.OpenApi;

namespace KlingGenerated.Benchmarks;

/// <summary>
/// Answers like the service, from memory: no sockets, so only client cost is measured. The payloads are the seed's
/// examples, read from openapi/kling.openapi.yaml.
/// </summary>
public sealed class InMemoryService : HttpMessageHandler
{
    public static readonly Uri BaseUrl = new("https://api.kie.ai/");

    private readonly byte[] _created = Example("$.paths['/api/v1/jobs/createTask'].post.responses['200'].content['application/json'].examples.seed.value");
    private readonly byte[] _record = Example("$.components.examples.RecordSuccess.value");

    /// <summary>The seed's createTask request body, as JSON text.</summary>
    public static string SeedRequestJson { get; } = System.Text.Encoding.UTF8.GetString(
        Example("$.paths['/api/v1/jobs/createTask'].post.requestBody.content['application/json'].examples.seed.value"));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Method == HttpMethod.Post ? _created : _record;
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        content.Headers.ContentLength = body.Length;
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
    }

    private static byte[] Example(string path) =>
        System.Text.Encoding.UTF8.GetBytes(JsonNode.Parse(KlingOpenApiDocument.Root.SelectToken(path)!.ToString(Newtonsoft.Json.Formatting.None))!.ToJsonString());
}
