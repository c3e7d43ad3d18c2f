using Newtonsoft.Json.Linq;

namespace KlingGenerated.Benchmarks;

/// <summary>The three clients on the same in-memory service, and the seed request in each one's model.</summary>
public sealed class Clients
{
    public Clients()
    {
        var seed = JObject.Parse(InMemoryService.SeedRequestJson);
        var input = (JObject)seed["input"]!;
        Kling = new KlingClient(new HttpClient(new InMemoryService()) { BaseAddress = InMemoryService.BaseUrl }, new KlingClientOptions { ApiKey = "bench-key" });
        Floor = new FloorClient(Authenticated(new HttpClient(new InMemoryService()) { BaseAddress = InMemoryService.BaseUrl }));
        Refit = new RefitClient(Authenticated(new HttpClient(new InMemoryService()) { BaseAddress = InMemoryService.BaseUrl }));
        KlingRequest = new CreateTaskRequest
        {
            CallBackUrl = new Uri((string)seed["callBackUrl"]!),
            Input = new CreateTaskInput
            {
                Prompt = (string)input["prompt"]!,
                Duration = VideoDuration.FiveSeconds,
                AspectRatio = AspectRatio.Landscape16x9,
                NegativePrompt = (string)input["negative_prompt"]!,
                CfgScale = (double)input["cfg_scale"]!,
            },
        };
        FloorRequest = new FloorCreateTaskRequest((string)seed["model"]!, (string)seed["callBackUrl"]!,
            new FloorInput((string)input["prompt"]!, (string)input["duration"]!, (string)input["aspect_ratio"]!, (string)input["negative_prompt"]!, (double)input["cfg_scale"]!));
    }

    public KlingClient Kling { get; }

    /// <summary>The peers send what the service requires too (a Bearer key and a User-Agent), set once on their HttpClient.</summary>
    private static HttpClient Authenticated(HttpClient http)
    {
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "bench-key");
        http.DefaultRequestHeaders.UserAgent.ParseAdd("HandWritten/1.0");
        return http;
    }

    public FloorClient Floor { get; }

    public RefitClient Refit { get; }

    public CreateTaskRequest KlingRequest { get; }

    public FloorCreateTaskRequest FloorRequest { get; }

    public const string TaskId = "task_kling_1765184398475";
}
