using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace KlingGenerated.Simulator;

/// <summary>The service's endpoints: createTask (rate limit, credits, the journal), recordInfo, credit, download-url, and the result files.</summary>
public sealed partial class KlingSimulator
{
    private Task<Answer> CreateTaskAsync(HttpContext context, Caller caller)
    {
        _ = context;

        // Parse and keep only declared fields before anything is charged: what fails here costs nothing.
        var request = JsonNode.Parse(caller.Body!)!.AsObject();
        var kept = StrictJson.KeepDeclaredBody("CreateTask", request);
        var param = kept.ToJsonString(Json);
        var prefix = SimulatedTask.TaskIdPrefix((string?)kept["model"]);
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

            var price = _options.CreditsPerTask ?? SimulatedTask.PriceOf(param);
            if (BalanceLocked() < price)
            {
                return Task.FromResult(new Answer(200, Envelope(402, "Credits insufficient")));
            }

            window.Enqueue(now);
            var taskId = $"{prefix}{now.ToUnixTimeMilliseconds()}{Interlocked.Increment(ref _taskCounter):D4}";
            task = new SimulatedTask(taskId, caller.KeyId, param, callBack, caller.Fault.GenerationFailed, now);
            _tasks[taskId] = task;
            _charged += price;
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
}
