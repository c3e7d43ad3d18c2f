using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KlingGenerated.Tests;

/// <summary>The API key and the webhook HMAC key never appear in messages, ToString, log lines or CLI output.</summary>
public sealed class SecretsTests
{
    private const string ApiKey = "sk-SECRET-api-key-7f3a9";
    private const string HmacKey = "whsec-SECRET-hmac-key-55d1";

    private sealed class CapturingLogger : ILoggerProvider, ILogger
    {
        public List<string> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            lock (Lines)
            {
                Lines.Add("scope: " + state);
            }

            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add($"{logLevel}: {formatter(state, exception)} {state} {exception}");
            }
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Neither_key_appears_in_any_exception_ToString_or_log_line_at_Trace_level()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { AcceptedApiKey = ApiKey, WebhookHmacKey = HmacKey, GeneratingFor = TimeSpan.FromMilliseconds(100) });
        var logs = new CapturingLogger();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddKlingClient(o =>
        {
            o.ApiKey = ApiKey;
            o.BaseUrl = simulator.BaseUrl;
            o.Resilience.MaxRetries = 1;
            o.Resilience.BaseDelay = TimeSpan.FromMilliseconds(1);
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<KlingClient>();
        var texts = new List<string> { client.Options.ToString(), client.ToString()! };

        await client.GetRemainingCreditsAsync(CancellationToken.None);
        texts.Add((await Record(() => client.CreateTaskAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "x", CfgScale = 0.55 } }, CancellationToken.None))).ToString());
        texts.Add((await Record(() => client.GetTaskRecordAsync("task_nobody_made", CancellationToken.None))).ToString());
        var wrongKey = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = ApiKey + "-wrong", BaseUrl = simulator.BaseUrl });
        texts.Add((await Record(() => wrongKey.GetRemainingCreditsAsync(CancellationToken.None))).ToString());
        var unreachable = new KlingClient(new HttpClient(new KlingResilienceHandler(new KlingResilienceOptions { MaxRetries = 0 }) { InnerHandler = new SocketsHttpHandler() }), new KlingClientOptions { ApiKey = ApiKey, BaseUrl = new Uri("http://127.0.0.1:9/") });
        texts.Add((await Record(() => unreachable.GetRemainingCreditsAsync(CancellationToken.None))).ToString());
        texts.Add(Record(() => KlingWebhook.ParseAndVerify("""{"code":200,"data":{"taskId":"t"}}""", "1", "AAAA", HmacKey)).ToString());
        texts.Add(Record(() => KlingWebhook.ParseAndVerify("""{"code":200,"data":{"taskId":"t"}}""", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(), "AAAA", HmacKey)).ToString());
        texts.Add(Record(() => KlingWebhook.ParseAndVerify("{", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(), "AAAA", HmacKey)).ToString());

        logs.Lines.Should().Contain(l => l.Contains("api/v1/chat/credit"), "HTTP logging was captured");
        foreach (var text in texts.Concat(logs.Lines))
        {
            text.Should().NotContain(ApiKey).And.NotContain(HmacKey);
        }
    }

    [Fact]
    public async Task Neither_key_appears_in_CLI_output_even_with_verbose()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { AcceptedApiKey = ApiKey });
        var dir = KlingProcess.NewDirectory();
        var common = new[] { "--verbose", "--base-url", simulator.BaseUrl.ToString() };

        var results = new[]
        {
            await KlingInProcess.RunAsync(dir, ["credits", "--api-key", ApiKey, .. common]),
            await KlingInProcess.RunAsync(dir, ["credits", "--api-key", ApiKey + "-wrong", .. common]),
            await KlingInProcess.RunAsync(dir, ["generate", "x", "--cfg-scale", "0.55", "--api-key", ApiKey, .. common]),
            await KlingInProcess.RunAsync(dir, ["status", "task_nobody_made", "--json", "--api-key", ApiKey, .. common]),
            await KlingInProcess.RunAsync(dir, ["simulator", "--webhook-hmac-key", HmacKey, "--urls", "not-a-url"]),
        };

        results[0].ExitCode.Should().Be(0, results[0].Stderr);
        results.Skip(1).Should().OnlyContain(r => r.ExitCode != 0);
        foreach (var result in results)
        {
            (result.Stdout + result.Stderr).Should().NotContain(ApiKey).And.NotContain(HmacKey);
        }
    }

    private static async Task<Exception> Record(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception exception)
        {
            return exception;
        }

        throw new InvalidOperationException("expected a failure");
    }

    private static Exception Record(Action action)
    {
        try
        {
            action();
        }
        catch (Exception exception)
        {
            return exception;
        }

        throw new InvalidOperationException("expected a failure");
    }
}
