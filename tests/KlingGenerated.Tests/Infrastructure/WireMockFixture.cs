using Newtonsoft.Json.Linq;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>One WireMock server on 127.0.0.1 shared by every test in the "WireMock" collection; each test resets it.</summary>
public sealed class WireMockFixture : IDisposable
{
    public const string ApiKey = "test-key-3f9a1c";

    public WireMockServer Server { get; } = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });

    public Uri BaseUrl => new(Server.Urls[0] + "/");

    /// <summary>A fresh client on a bare HttpClient, with a clean server.</summary>
    public KlingClient NewClient(Action<KlingClientOptions>? configure = null)
    {
        Server.Reset();
        var options = new KlingClientOptions { ApiKey = ApiKey, BaseUrl = BaseUrl };
        configure?.Invoke(options);
        return new KlingClient(new HttpClient(), options);
    }

    /// <summary>Answers <paramref name="path"/> with a JSON body and a status.</summary>
    public void Answer(string path, JToken body, int status = 200, string? retryAfter = null) =>
        AnswerRaw(path, body.ToString(Newtonsoft.Json.Formatting.None), status, "application/json", retryAfter);

    public void AnswerRaw(string path, string body, int status, string contentType, string? retryAfter = null)
    {
        var response = Response.Create().WithStatusCode(status).WithHeader("Content-Type", contentType).WithBody(body);
        if (retryAfter is not null)
        {
            response = response.WithHeader("Retry-After", retryAfter);
        }

        Server.Given(Request.Create().WithPath(path)).RespondWith(response);
    }

    public IReadOnlyList<ILogEntry> Requests => Server.LogEntries.ToList();

    public void Dispose() => Server.Stop();
}

[CollectionDefinition("WireMock")]
public sealed class WireMockCollection : ICollectionFixture<WireMockFixture>;
