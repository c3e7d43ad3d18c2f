using System.Net.Sockets;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace KlingGenerated;

/// <summary>
/// The resilience pipeline of the client, as a handler: retries what is safe to retry, honours <c>Retry-After</c>,
/// times out attempts and calls, and paces createTask. <c>AddKlingClient</c> installs it; add it to your own HttpClient
/// with <c>new HttpClient(new KlingResilienceHandler { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false } })</c>.
/// </summary>
/// <remarks>
/// Each attempt reads the whole answer, body included, under the attempt timeout, and every attempt and backoff lies
/// within the total timeout. Queries (GET) are retried after connection errors, timeouts, answers that break off
/// mid-body, HTTP 429/500/502/503/504 and body codes 429/455/500. createTask costs money and the service has no
/// idempotency key, so it is retried only when the service surely created nothing: HTTP 429, body codes 429 and 455,
/// or a connection that was never made (a failed name lookup, a refused connection, a failed TLS handshake), when
/// nothing was sent. After a timeout, a 500, a dropped connection or an answer that broke off it is not retried, and
/// the caller is told the task may exist. A 3xx is never followed (see <c>AllowAutoRedirect = false</c>).
/// </remarks>
// CUSTOM: retries belong in the HttpClient pipeline (not in loops), and must know the service's HTTP-200 error bodies.
public sealed class KlingResilienceHandler : DelegatingHandler
{
    private static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("KlingGenerated.Request");
    private static readonly ResiliencePropertyKey<bool> SentKey = new("KlingGenerated.Sent");
    private static readonly ResiliencePropertyKey<int> AttemptsKey = new("KlingGenerated.Attempts");

    private readonly KlingResilienceOptions _options;
    private readonly IKlingCreateTaskPacer _pacer;
    private readonly bool _ownsPacer;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    /// <summary>Creates the handler with the default policy.</summary>
    public KlingResilienceHandler()
        : this(new KlingResilienceOptions())
    {
    }

    /// <summary>Creates the handler with its own pacer.</summary>
    public KlingResilienceHandler(KlingResilienceOptions options)
        : this(options, new KlingCreateTaskPacer(options), ownsPacer: true)
    {
    }

    /// <summary>Creates the handler with a shared pacer (one per API key): <see cref="KlingCreateTaskPacer"/>, or one shared across processes.</summary>
    public KlingResilienceHandler(KlingResilienceOptions options, IKlingCreateTaskPacer pacer)
        : this(options, pacer, ownsPacer: false)
    {
    }

    private KlingResilienceHandler(KlingResilienceOptions options, IKlingCreateTaskPacer pacer, bool ownsPacer)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(pacer);
        options.Validate();
        _options = options;
        _pacer = pacer;
        _ownsPacer = ownsPacer;

        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>().AddTimeout(options.TotalTimeout);
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = args => ShouldRetryAsync(args.Outcome, args.Context.Properties.GetValue(RequestKey, null!), args.Context.CancellationToken),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome)),
                OnRetry = args => // Telemetry/ResilienceTelemetry.cs: an event with the delay, and a log line
                {
                    ResilienceTelemetry.Retrying(args.Context.Properties.GetValue(RequestKey, null!), args.AttemptNumber + 1, args.RetryDelay, args.Outcome);
                    return ValueTask.CompletedTask;
                },
            });
        }

        // Every createTask attempt, retries included, waits for a pacing permit; queries are not paced.
        builder.AddRateLimiter(new Polly.RateLimiting.RateLimiterStrategyOptions
        {
            RateLimiter = args => IsCreateTask(args.Context.Properties.GetValue(RequestKey, null!))
                ? ResilienceTelemetry.Timed(_pacer.AcquireAsync(args.Context.CancellationToken), args.Context.Properties.GetValue(RequestKey, null!))
                : KlingCreateTaskPacer.NoWait,
        });
        _pipeline = builder.AddTimeout(options.AttemptTimeout).Build();
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var creates = IsCreateTask(request);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        try
        {
            return await _pipeline.ExecuteAsync(static (ctx, state) => SendOnceAsync(ctx, state.Request, state.Handler), context, (Handler: this, Request: request)).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException exception) when (!cancellationToken.IsCancellationRequested && creates && !context.Properties.GetValue(SentKey, false))
        {
            throw KlingApiException.ForTimeout($"createTask waited {exception.Timeout.TotalSeconds:0.#} s for a pacing permit and was not sent; nothing was created. Submit fewer tasks at once, or raise KlingResilienceOptions.TotalTimeout", exception, taskMayExist: false);
        }
        catch (TimeoutRejectedException exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The message states the time really waited: attempts, backoff and pacing included, not just one timeout.
            var waited = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            var attempts = context.Properties.GetValue(AttemptsKey, 1);
            throw KlingApiException.ForTimeout(creates
                ? $"createTask got no complete answer within {exception.Timeout.TotalSeconds:0.#} s (waited {waited:0.#} s in all). The task may or may not have been created, so it was not retried: check your callback or the credits before submitting again"
                : exception.Timeout == _options.TotalTimeout
                    ? $"The service did not answer {request.Method} {request.RequestUri?.AbsolutePath} within {exception.Timeout.TotalSeconds:0.#} s, retries included ({attempts} attempt{(attempts == 1 ? string.Empty : "s")}, the total timeout). Try again later"
                    : $"The service did not answer {request.Method} {request.RequestUri?.AbsolutePath}: {attempts} attempt{(attempts == 1 ? string.Empty : "s")} of {exception.Timeout.TotalSeconds:0.#} s each timed out, {waited:0.#} s in all. Try again later", exception, taskMayExist: creates);
        }
        catch (HttpRequestException exception) when (!cancellationToken.IsCancellationRequested)
        {
            var attempts = context.Properties.GetValue(AttemptsKey, 1);
            throw KlingApiException.ForTransportFailure(
                NothingWasSent(exception)
                    ? $"Could not connect to the service for {request.Method} {request.RequestUri?.AbsolutePath} ({exception.Message}) in {attempts} attempt{(attempts == 1 ? string.Empty : "s")}: nothing was sent{(creates ? ", so no task was created and nothing was charged" : string.Empty)}. Check the base URL, the network and any proxy, then try again"
                    : creates
                        ? $"The connection failed after the createTask request was sent ({exception.Message}). The task may or may not have been created, so it was not retried: check your callback or the credits before submitting again"
                        : $"The connection to the service failed for {request.Method} {request.RequestUri?.AbsolutePath} ({exception.Message}) in {attempts} attempt{(attempts == 1 ? string.Empty : "s")}. Try again later",
                exception, taskMayExist: creates, nothingSent: NothingWasSent(exception));
        }
        catch (SocketException exception) when (!cancellationToken.IsCancellationRequested)
        {
            // SocketsHttpHandler lets a few socket errors of connection setup escape unwrapped (a reset right after connect): no byte was sent.
            var attempts = context.Properties.GetValue(AttemptsKey, 1);
            throw KlingApiException.ForTransportFailure(
                $"Could not connect to the service for {request.Method} {request.RequestUri?.AbsolutePath} ({exception.Message}) in {attempts} attempt{(attempts == 1 ? string.Empty : "s")}: nothing was sent{(creates ? ", so no task was created and nothing was charged" : string.Empty)}. Check the base URL, the network and any proxy, then try again",
                exception, taskMayExist: creates, nothingSent: true);
        }
        catch (IOException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw KlingApiException.ForBrokenAnswer(request, exception, context.Properties.GetValue(AttemptsKey, 1), retried: true);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsPacer && _pacer is IDisposable pacer)
        {
            pacer.Dispose();
        }

        base.Dispose(disposing);
    }

    private static async ValueTask<HttpResponseMessage> SendOnceAsync(ResilienceContext context, HttpRequestMessage request, KlingResilienceHandler handler)
    {
        context.Properties.Set(SentKey, true);
        context.Properties.Set(AttemptsKey, context.Properties.GetValue(AttemptsKey, 0) + 1);
        var response = await handler.SendInnerAsync(request, context.CancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode is >= 300 and <= 399)
        {
            return response; // never followed; the client names the location, and the body is not needed
        }

        try
        {
            // The whole body is read inside the attempt, so the attempt timeout and the total timeout cover every byte,
            // and a body that breaks off fails this attempt (retried for queries) instead of escaping later.
            var cap = request.Options.TryGetValue(BufferedBody.MaxBytesKey, out var max) ? max : KlingClientOptions.DefaultMaxResponseBytes;
            await BufferedBody.ReplaceContentAsync(response, cap, context.CancellationToken).ConfigureAwait(false);
            ResilienceTelemetry.Answered(request, response); // counts 429s, in the status or the body
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private Task<HttpResponseMessage> SendInnerAsync(HttpRequestMessage request, CancellationToken cancellationToken) => base.SendAsync(request, cancellationToken);

    internal static bool IsCreateTask(HttpRequestMessage request) =>
        request.Method == HttpMethod.Post && request.RequestUri is { } uri
        && (uri.IsAbsoluteUri ? uri.AbsolutePath : uri.OriginalString).EndsWith("api/v1/jobs/createTask", StringComparison.Ordinal);

    /// <summary>The retry rule: what is transient, and for createTask what surely created nothing.</summary>
    internal static ValueTask<bool> ShouldRetryAsync(Outcome<HttpResponseMessage> outcome, HttpRequestMessage request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ShouldRetry(outcome, request));

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, HttpRequestMessage request)
    {
        var creates = IsCreateTask(request);
        switch (outcome.Exception)
        {
            case TimeoutRejectedException:
                return !creates;
            case HttpRequestException exception:
                return !creates || NothingWasSent(exception);
            case SocketException:
                return true; // unwrapped, it comes from connection setup: nothing was sent
            case IOException:
                // The answer broke off mid-body: the request arrived, so createTask may have created a task.
                return !creates;
            case not null:
                return false;
        }

        var response = outcome.Result!;
        var status = (int)response.StatusCode;
        if (status == 429)
        {
            return true;
        }

        if (status is 500 or 502 or 503 or 504)
        {
            return !creates;
        }

        if (status is < 200 or > 299)
        {
            return false;
        }

        // The attempt read the body (within its cap) into the buffer the client's error mapping then reuses.
        return response.Content is BufferedBody { TooLarge: false } body
            && ServiceEnvelope.TryRead(body.Memory.Span, out var code, out _) && (code is 429 or 455 || (code == 500 && !creates));
    }

    private TimeSpan? RetryAfter(Outcome<HttpResponseMessage> outcome) =>
        BufferedBody.RetryAfterOf(outcome.Result?.Headers.RetryAfter) is { } wait ? (wait < _options.MaxDelay ? wait : _options.MaxDelay) : null;

    /// <summary>True when the connection was never made, so no byte of the request left: a failed name lookup, a refused connection, a failed TLS handshake or proxy tunnel.</summary>
    internal static bool NothingWasSent(HttpRequestException exception) =>
        exception.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError
        || exception.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData };
}
