using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KlingGenerated.OpenApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KlingGenerated.Simulator;

/// <summary>
/// A local stand-in for the kie.ai Kling service on ASP.NET Core's Kestrel. It validates every request against
/// the embedded openapi/kling.openapi.yaml and answers in the service's envelope.
/// </summary>
public sealed partial class KlingSimulator : IAsyncDisposable
{
    private readonly KlingSimulatorOptions _options;
    private readonly WebApplication _app;
    private readonly SimulatorStateFile? _stateFile;
    private readonly ConcurrentDictionary<string, SimulatedTask> _tasks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _keyIds = new(StringComparer.Ordinal);

    // Guards the rate-limit windows, the credit balance and task creation, so that a create is checked and charged as one step.
    private readonly Lock _gate = new();
    private readonly Lock _persistGate = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _windows = new(StringComparer.Ordinal);
    // Callbacks in flight only: a finished one removes itself, so 50,000 tasks with callbacks do not pin 50,000 Tasks.
    private readonly ConcurrentDictionary<Task, byte> _callbacks = new();
    private readonly CancellationTokenSource _stopping = new();
    // A receiver's answer is untrusted: only its status is read (the body never), and a redirect is not followed, so a
    // receiver that answers 768 MiB or points elsewhere costs the simulator one connection and a few KiB.
    private readonly HttpClient _callbackClient = new(new SocketsHttpHandler { AllowAutoRedirect = false, MaxResponseHeadersLength = 64, MaxResponseDrainSize = 0 }) { Timeout = TimeSpan.FromSeconds(15) };
    private readonly byte[] _video;
    private readonly ITimer _sweeper;
    private long _expiredTasks;
    private long _taskCounter;
    private long _callbackAttempts;
    private long _requests;
    private long _faultsInjected;
    private long _rateLimited;
    private readonly Random _random;
    private readonly List<(string Path, string Method)> _routes = [];
    private volatile string? _fault;

    private KlingSimulator(KlingSimulatorOptions options, WebApplication app)
    {
        _options = options;
        _app = app;
        _video = SampleVideo();
        _random = new Random(options.RandomFaultSeed);
        _fault = options.Fault;
        _callbackClient.DefaultRequestHeaders.UserAgent.ParseAdd("KlingGenerated.Simulator/1.0");
        var sweepEvery = TimeSpan.FromTicks(Math.Clamp(options.TaskRetention.Ticks / 10, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromMinutes(1).Ticks));
        _sweeper = options.TimeProvider.CreateTimer(_ => SweepSafely(), null, sweepEvery, sweepEvery);
        if (options.StateFile is { } path)
        {
            _stateFile = new SimulatorStateFile(path);

            // Another process at the same millisecond would need the same counter value to clash; start at a random one.
            _taskCounter = Random.Shared.Next(0, 9000);
        }
    }

    /// <summary>The address the simulator listens on, ending with '/'.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The API key it accepts (empty when authentication is disabled).</summary>
    public string ApiKey => _options.AcceptedApiKey ?? string.Empty;

    /// <summary>Tasks held now (expired ones are dropped).</summary>
    public int TaskCount => _tasks.Count;

    /// <summary>Callback POSTs attempted so far, failed ones included.</summary>
    public long CallbackAttempts => Interlocked.Read(ref _callbackAttempts);

    /// <summary>Requests answered so far (file downloads and control endpoints not counted).</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    /// <summary>Requests that got an injected fault.</summary>
    public long FaultsInjected => Interlocked.Read(ref _faultsInjected);

    /// <summary>createTask requests refused by the rate limit (not by an injected fault).</summary>
    public long RateLimitedCount => Interlocked.Read(ref _rateLimited);

    /// <summary>The ids and create requests (the fields the document declares) of the tasks held now.</summary>
    public IReadOnlyDictionary<string, string> CreatedTasks => _tasks.ToDictionary(t => t.Key, t => t.Value.Param);

    /// <summary>The MP4 the simulator serves as every task's result.</summary>
    public static byte[] SampleVideo()
    {
        using var stream = typeof(KlingSimulator).Assembly.GetManifestResourceStream("sample.mp4")
            ?? throw new InvalidOperationException("sample.mp4 is not embedded in KlingGenerated.Simulator.dll; rebuild it.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Starts a simulator; dispose it to stop.</summary>
    /// <exception cref="ArgumentException">The options are not usable (each problem is named).</exception>
    /// <exception cref="InvalidOperationException">The state file cannot be read.</exception>
    public static async Task<KlingSimulator> StartAsync(KlingSimulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KlingSimulatorOptions();
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentException("Invalid simulator options: " + string.Join(" ", problems), nameof(options));
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls);

        // Kestrel's own cap (30 MB by default) is far above any valid request; the simulator reads at most this.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        var app = builder.Build();
        var simulator = new KlingSimulator(options, app);
        try
        {
            simulator.LoadState();
            simulator.Map(app);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await simulator.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        simulator.BaseUrl = new Uri(address.Replace("//[::]", "//127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        simulator.ResumeCallbacks();
        return simulator;
    }

    /// <summary>Callback deliveries not finished yet.</summary>
    internal int CallbacksInFlight => _callbacks.Count;

    /// <summary>Waits until every callback scheduled so far was delivered or gave up.</summary>
    public Task CallbacksDrainedAsync() => Task.WhenAll(_callbacks.Keys.ToArray());

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _callbackClient.Dispose();
        _stopping.Dispose();
    }

    private DateTimeOffset Now => _options.TimeProvider.GetUtcNow();

    private void Map(WebApplication app)
    {
        Route(app, "POST", "/api/v1/jobs/createTask", context => Handle(context, CreateTaskAsync));
        Route(app, "GET", "/api/v1/jobs/recordInfo", context => Handle(context, RecordInfoAsync));
        Route(app, "GET", "/api/v1/chat/credit", context => Handle(context, CreditAsync));
        Route(app, "POST", "/api/v1/common/download-url", context => Handle(context, DownloadUrlAsync));
        app.MapGet("/files/{name}", ServeFileAsync);
        MapControl(app);
        app.MapFallback(NotAnEndpointAsync);
    }

    /// <summary>Maps one endpoint and remembers its method, so a wrong method gets 405 and an unknown path 404.</summary>
    private void Route(WebApplication app, string method, string path, RequestDelegate handler)
    {
        app.MapMethods(path, [method], handler);
        _routes.Add((path, method));
    }

    /// <summary>A real HTTP 404 or 405 (never 200), so a probe can tell; the body is the error envelope or, under /_simulator, plain JSON.</summary>
    private Task NotAnEndpointAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var allowed = _routes.Where(r => string.Equals(r.Path, path.TrimEnd('/'), StringComparison.Ordinal)).Select(r => r.Method).ToList();
        var status = allowed.Count > 0 ? 405 : 404;
        if (status == 405)
        {
            context.Response.Headers.Allow = string.Join(", ", allowed);
        }

        var what = status == 405 ? $"{path} answers {string.Join(" and ", allowed)}, not {context.Request.Method}" : $"{context.Request.Method} {path} is not an endpoint";
        return path.StartsWith(ControlPrefix + "/", StringComparison.Ordinal) || path == ControlPrefix
            ? Write(context, status, new JsonObject { ["error"] = what + " of the simulator's control API (see GET /_simulator/control.openapi.yaml)." })
            : Write(context, status, Envelope(status == 405 ? 405 : 404, $"Not found: {what} of the service."));
    }

    private async Task Handle(HttpContext context, Func<HttpContext, Caller, Task<Answer>> endpoint)
    {
        Interlocked.Increment(ref _requests);

        // Authentication comes first: an unauthenticated request gets the 401 envelope, never a fault it asked for.
        if (Authenticate(context.Request) is not { } keyId)
        {
            await Write(context, 200, Envelope(401, "You do not have access permissions")).ConfigureAwait(false);
            return;
        }

        SimulatorFault fault;
        try
        {
            fault = SimulatorFault.Parse(context.Request.Headers[SimulatorFault.Header].FirstOrDefault() ?? _fault ?? RandomFault());
            if (fault != SimulatorFault.None)
            {
                Interlocked.Increment(ref _faultsInjected);
            }
        }
        catch (FormatException exception)
        {
            await Write(context, 200, Envelope(422, exception.Message)).ConfigureAwait(false);
            return;
        }

        if (fault.Delay > TimeSpan.Zero)
        {
            await Task.Delay(fault.Delay, _options.TimeProvider, context.RequestAborted).ConfigureAwait(false);
        }

        if (fault.Drop && !fault.AfterCreate)
        {
            context.Abort();
            return;
        }

        if (fault.Answer is { } documented)
        {
            await documented.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        if (fault.Maintenance)
        {
            await Write(context, 200, Envelope(455, "Service unavailable, system maintenance in progress (simulated).")).ConfigureAwait(false);
            return;
        }

        if (fault.ServerError && !fault.AfterCreate)
        {
            await Write(context, 500, Envelope(500, "Internal server error (simulated).")).ConfigureAwait(false);
            return;
        }

        if (fault.RateLimited)
        {
            context.Response.Headers.RetryAfter = "1";
            await Write(context, 429, Envelope(429, "The request frequency is too high, please try again later (simulated).")).ConfigureAwait(false);
            return;
        }

        // Read the body once, and at most MaxRequestBodyBytes of it: the validator reads its bytes, the endpoints its text.
        var bytes = await ReadBodyAsync(context).ConfigureAwait(false);
        if (bytes is null)
        {
            // HTTP 413 is an "UnexpectedStatus" of the document; its body carries a code the document lists (422: nothing was created).
            await Write(context, 413, Envelope(422, $"The request body is larger than {_options.MaxRequestBodyBytes} bytes; a createTask request is a few KiB.")).ConfigureAwait(false);
            return;
        }

        // A strict parser refuses an object with a key twice; System.Text.Json's JsonNode would throw later, after the charge.
        if (bytes.Length > 0 && StrictJson.FindDuplicateKey(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)) is { } duplicate)
        {
            await Write(context, 200, Envelope(422, $"The request has the key '{duplicate}' more than once; each key of a JSON object must be unique.")).ConfigureAwait(false);
            return;
        }

        var body = bytes.Length == 0 ? null : Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
        var problems = KlingOpenApiContract.ValidateRequest(context.Request.Method, context.Request.Path.Value!.TrimStart('/') + context.Request.QueryString.Value, bytes);
        if (problems.Count > 0)
        {
            await Write(context, 200, Envelope(422, problems[0])).ConfigureAwait(false);
            return;
        }

        var answer = await endpoint(context, new Caller(keyId, body, fault)).ConfigureAwait(false);
        if (fault.AfterCreate && fault.Drop)
        {
            context.Abort();
            return;
        }

        if (fault.AfterCreate && fault.ServerError)
        {
            answer = new Answer(500, Envelope(500, "Internal server error (simulated, after the task was created)."));
        }

        if (fault.Truncate || fault.Stall)
        {
            await WriteBrokenAsync(context, answer, fault.Stall).ConfigureAwait(false);
            return;
        }

        await Write(context, answer.Status, answer.Body, answer.RetryAfter).ConfigureAwait(false);
    }

    /// <summary>The body, or null when it is larger than the cap (then it is not read further).</summary>
    private async Task<MemoryStream?> ReadBodyAsync(HttpContext context)
    {
        var bytes = new MemoryStream();
        if (context.Request.ContentLength > _options.MaxRequestBodyBytes)
        {
            return null;
        }

        if (context.Request.ContentLength is > 0 || context.Request.Method == "POST")
        {
            var buffer = new byte[16 * 1024];
            try
            {
                int read;
                while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
                {
                    if (bytes.Length + read > _options.MaxRequestBodyBytes)
                    {
                        return null;
                    }

                    bytes.Write(buffer, 0, read);
                }
            }
            catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return null;
            }

            bytes.Position = 0;
        }

        return bytes;
    }

    private Task<Answer> CreateTaskAsync(HttpContext context, Caller caller)
    {
        _ = context;

        // Parse and keep only declared fields before anything is charged: what fails here costs nothing.
        var request = JsonNode.Parse(caller.Body!)!.AsObject();
        var param = StrictJson.KeepDeclared(request, "CreateTaskRequest").ToJsonString(Json);
        var callBack = (string?)request["callBackUrl"] is { } url ? new Uri(url) : null;
        SimulatedTask task;
        lock (_gate)
        {
            var now = Now;
            var window = WindowOf(caller.KeyId, now);
            if (window.Count >= _options.RateLimit)
            {
                Interlocked.Increment(ref _rateLimited);
                var retryAfter = (int)Math.Ceiling((_options.RateLimitWindow - (now - window.Peek())).TotalSeconds);
                return Task.FromResult(new Answer(429, Envelope(429, $"The request frequency is too high: at most {_options.RateLimit} new tasks per {_options.RateLimitWindow.TotalSeconds:0.###} s per key."), Math.Max(1, retryAfter)));
            }

            if (BalanceLocked() < _options.CreditsPerTask)
            {
                return Task.FromResult(new Answer(200, Envelope(402, "Credits insufficient")));
            }

            window.Enqueue(now);
            var taskId = $"task_kling_{now.ToUnixTimeMilliseconds()}{Interlocked.Increment(ref _taskCounter):D4}";
            task = new SimulatedTask(taskId, caller.KeyId, param, callBack, caller.Fault.GenerationFailed, now);
            _tasks[taskId] = task;
        }

        // The task is on disk before its id is answered. If the disk refuses, the task exists but its id is not given:
        // the caller sees a 500 after the create, as from a service that may have created it.
        try
        {
            Persist(task);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(new Answer(500, Envelope(500, $"Internal server error: the simulator could not write its state file ({exception.Message}); the task may exist.")));
        }

        if (callBack is not null)
        {
            ScheduleCallback(task);
        }

        return Task.FromResult(new Answer(200, Envelope(200, "success", new JsonObject { ["taskId"] = task.TaskId })));
    }

    private Task<Answer> CreditAsync(HttpContext context, Caller caller)
    {
        lock (_gate)
        {
            return Task.FromResult(new Answer(200, Envelope(200, "success", BalanceLocked())));
        }
    }

    private Task<Answer> RecordInfoAsync(HttpContext context, Caller caller)
    {
        var taskId = context.Request.Query["taskId"].ToString();
        if (Find(taskId, readStorage: true) is not { } task || task.KeyId != caller.KeyId)
        {
            return Task.FromResult(new Answer(200, Envelope(404, $"Task not found: {taskId}")));
        }

        if (Now - task.CreatedAt < _options.RecordVisibleAfter)
        {
            return Task.FromResult(new Answer(200, Envelope(422, "recordInfo is null")));
        }

        return Task.FromResult(new Answer(200, Envelope(200, "success", task.ToRecord(Now, _options, BaseUrl))));
    }

    private Task<Answer> DownloadUrlAsync(HttpContext context, Caller caller)
    {
        _ = context;
        var url = (string)JsonNode.Parse(caller.Body!)!["url"]!;
        return Task.FromResult(url.StartsWith(new Uri(BaseUrl, "files/").AbsoluteUri, StringComparison.Ordinal)
            ? new Answer(200, Envelope(200, "success", url + "?download=1"))
            : new Answer(200, Envelope(422, "The url is not a generated file of this service.")));
    }

    private async Task ServeFileAsync(HttpContext context)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        var taskId = name.EndsWith(".mp4", StringComparison.Ordinal) ? name[..^4] : name;
        if (Find(taskId, readStorage: false) is not { } task || task.StateAt(Now, _options) != "success")
        {
            context.Response.StatusCode = 404;
            return;
        }

        context.Response.ContentType = "video/mp4";
        context.Response.ContentLength = _video.Length;
        await context.Response.Body.WriteAsync(_video, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// A task held now and not expired; with a state file and <paramref name="readStorage"/>, also one another process
    /// created since (only the journal's new lines are read). Unauthenticated requests never read storage.
    /// </summary>
    private SimulatedTask? Find(string taskId, bool readStorage)
    {
        if (!_tasks.TryGetValue(taskId, out var task) && readStorage && _stateFile is not null)
        {
            CatchUp();
            _tasks.TryGetValue(taskId, out task);
        }

        return task is null || task.ExpiredAt(Now, _options) ? null : task;
    }

    private async Task DeliverCallbackAsync(SimulatedTask task)
    {
        try
        {
            // From the task's real creation time, so a task restored from the state file calls back on schedule.
            var ended = task.CreatedAt + SimulatedTask.Duration(_options);
            var wait = ended - Now;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _options.TimeProvider, _stopping.Token).ConfigureAwait(false);
            }

            // The timer and the wall clock can disagree by a millisecond: describe the task as ended, whatever Now says.
            var record = task.ToRecord(Now > ended ? Now : ended, _options, BaseUrl);
            var succeeded = (string?)record["state"] == "success";
            var payload = Envelope(succeeded ? 200 : 501, succeeded ? "Playground task completed successfully." : "Playground task failed.", record).ToJsonString(Json);

            for (var attempt = 1; attempt <= _options.CallbackAttempts; attempt++)
            {
                Interlocked.Increment(ref _callbackAttempts);
                using var message = new HttpRequestMessage(HttpMethod.Post, task.CallBackUrl) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
                if (_options.WebhookHmacKey is { } hmacKey)
                {
                    var timestamp = Now.ToUnixTimeSeconds();
                    message.Headers.Add("X-Webhook-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
                    message.Headers.Add("X-Webhook-Signature", KlingWebhook.ComputeSignature(task.TaskId, timestamp, hmacKey));
                }

                try
                {
                    using var response = await _callbackClient.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, _stopping.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // The receiver is down: count it as a failed attempt, like the service.
                }
                catch (TaskCanceledException) when (!_stopping.IsCancellationRequested)
                {
                    // The receiver took longer than 15 s: a failed attempt.
                }

                if (attempt < _options.CallbackAttempts)
                {
                    await Task.Delay(_options.CallbackRetryDelay, _options.TimeProvider, _stopping.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The simulator stopped.
        }
    }

    private void ScheduleCallback(SimulatedTask task)
    {
        var delivery = Task.Run(() => DeliverCallbackAsync(task));
        _callbacks.TryAdd(delivery, 0);
        delivery.ContinueWith(done => _callbacks.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Writes non-ASCII text as is, like the service, instead of \u escapes.</summary>
    internal static readonly System.Text.Json.JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private string? RandomFault()
    {
        if (_options.RandomFaultRate <= 0 || _options.RandomFaults.Count == 0)
        {
            return null;
        }

        lock (_random)
        {
            return _random.NextDouble() < _options.RandomFaultRate ? _options.RandomFaults[_random.Next(_options.RandomFaults.Count)] : null;
        }
    }

    /// <summary>The caller's key id (SHA-256 of its key), or null when it may not call. The scheme is case-insensitive (RFC 9110).</summary>
    private string? Authenticate(HttpRequest request)
    {
        var key = AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var value)
            && string.Equals(value.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) ? value.Parameter : null;
        if (!_options.DisableAuthentication && (key is null || key != _options.AcceptedApiKey))
        {
            return null;
        }

        key ??= string.Empty;
        if (_keyIds.TryGetValue(key, out var id))
        {
            return id;
        }

        id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

        // Without authentication any key is accepted: keep the cache small rather than grow it per key.
        return _keyIds.Count < 1000 ? _keyIds.GetOrAdd(key, id) : id;
    }

    private static JsonObject Envelope(int code, string message, JsonNode? data = null) =>
        new() { ["code"] = code, ["msg"] = message, ["data"] = data };

    private static Task Write(HttpContext context, int status, JsonNode body, int? retryAfterSeconds = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (retryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString(Json));
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }

    /// <summary>The <c>truncate</c> and <c>stall</c> faults: the headers and half the body, then a closed connection or silence.</summary>
    private async Task WriteBrokenAsync(HttpContext context, Answer answer, bool stall)
    {
        var bytes = Encoding.UTF8.GetBytes(answer.Body.ToJsonString(Json));
        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        if (stall)
        {
            using var until = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(10), until.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        else
        {
            // Abort discards output Kestrel has not sent yet: give the half body time to leave, so the client sees a cut body, not a drop.
            await Task.Delay(200, _stopping.Token).ConfigureAwait(false);
        }

        context.Abort();
    }

    /// <summary>The simulator lives inside other programs (tests, the CLI): it must not take over Ctrl+C or SIGTERM.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed record Caller(string KeyId, string? Body, SimulatorFault Fault);

    private sealed record Answer(int Status, JsonObject Body, int? RetryAfter = null);
}
