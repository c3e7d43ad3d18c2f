using System.Net.Sockets;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace KlingGenerated;

/// <summary>
/// The resilience pipeline of the client, as a handler: retries what is safe to retry, honours <c>Retry-After</c>,
/// times out attempts and calls, and paces createTask. <c>AddKlingClient</c> installs it; add it to your own HttpClient
/// with <c>new HttpClient(new KlingResilienceHandler { InnerHandler = new SocketsHttpHandler() })</c>.
/// </summary>
/// <remarks>
/// Queries (GET) are retried after connection errors, timeouts, HTTP 429/500/502/503/504 and body codes 429/455/500.
/// createTask costs money and the service has no idempotency key, so it is retried only when the service surely
/// created nothing: HTTP 429, body codes 429 and 455, or a connection refused before anything was sent. After a
/// timeout, a 500 or a dropped connection it is not retried, and the caller is told the task may exist.
/// </remarks>
// CUSTOM: retries belong in the HttpClient pipeline (not in loops), and must know the service's HTTP-200 error bodies.
public sealed class KlingResilienceHandler : DelegatingHandler
{
    private static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("KlingGenerated.Request");
    private static readonly ResiliencePropertyKey<bool> SentKey = new("KlingGenerated.Sent");

    // The body code of an HTTP 200 is read for the retry decision only when Content-Length says it is at most this.
    private const int PeekLimit = 64 * 1024;
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
            });
        }

        // Every createTask attempt, retries included, waits for a pacing permit; queries are not paced.
        builder.AddRateLimiter(new Polly.RateLimiting.RateLimiterStrategyOptions
        {
            RateLimiter = args => IsCreateTask(args.Context.Properties.GetValue(RequestKey, null!))
                ? _pacer.AcquireAsync(args.Context.CancellationToken)
                : KlingCreateTaskPacer.NoWait,
        });
        _pipeline = builder.AddTimeout(options.AttemptTimeout).Build();
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var creates = IsCreateTask(request);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        try
        {
            return await _pipeline.ExecuteAsync(static (ctx, state) => state.Handler.SendOnceAsync(ctx, state.Request), context, (Handler: this, Request: request)).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException exception) when (!cancellationToken.IsCancellationRequested && creates && !context.Properties.GetValue(SentKey, false))
        {
            throw new TimeoutException($"createTask waited {exception.Timeout.TotalSeconds:0.#} s for a pacing permit and was not sent; nothing was created. Submit fewer tasks at once, or raise KlingResilienceOptions.TotalTimeout.", exception);
        }
        catch (TimeoutRejectedException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(creates
                ? $"createTask got no answer within {exception.Timeout.TotalSeconds:0.#} s. The task may or may not have been created, so it was not retried: check your callback or the credits before submitting again."
                : $"The service did not answer {request.Method} {request.RequestUri?.AbsolutePath} within {exception.Timeout.TotalSeconds:0.#} s, retries included. Try again later.", exception);
        }
        catch (HttpRequestException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw KlingApiException.ForTransportFailure(creates && !IsRefusedBeforeSending(exception)
                ? $"The connection failed after the createTask request was sent ({exception.Message}). The task may or may not have been created, so it was not retried: check your callback or the credits before submitting again"
                : $"Could not reach the service for {request.Method} {request.RequestUri?.AbsolutePath} ({exception.Message}). Check the base URL and the network, then try again", exception);
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

    private ValueTask<HttpResponseMessage> SendOnceAsync(ResilienceContext context, HttpRequestMessage request)
    {
        context.Properties.Set(SentKey, true);
        return new(base.SendAsync(request, context.CancellationToken));
    }

    internal static bool IsCreateTask(HttpRequestMessage request) =>
        request.Method == HttpMethod.Post && request.RequestUri?.AbsolutePath.EndsWith("/api/v1/jobs/createTask", StringComparison.Ordinal) == true;

    /// <summary>The retry rule: what is transient, and for createTask what surely created nothing.</summary>
    internal static async ValueTask<bool> ShouldRetryAsync(Outcome<HttpResponseMessage> outcome, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var creates = IsCreateTask(request);
        switch (outcome.Exception)
        {
            case TimeoutRejectedException:
                return !creates;
            case HttpRequestException exception:
                return !creates || IsRefusedBeforeSending(exception);
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

        if (status is < 200 or > 299 || response.Content.Headers.ContentLength is not { } length || length > PeekLimit)
        {
            return false;
        }

        // Read once into the buffer the client's error mapping then reuses.
        var body = await BufferedBody.ReplaceContentAsync(response, PeekLimit, cancellationToken).ConfigureAwait(false);
        return body is not null && ServiceEnvelope.TryRead(body.Memory.Span, out var code, out _) && (code is 429 or 455 || (code == 500 && !creates));
    }

    private TimeSpan? RetryAfter(Outcome<HttpResponseMessage> outcome) =>
        BufferedBody.RetryAfterOf(outcome.Result?.Headers.RetryAfter) is { } wait ? (wait < _options.MaxDelay ? wait : _options.MaxDelay) : null;

    private static bool IsRefusedBeforeSending(HttpRequestException exception) =>
        exception.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
}
