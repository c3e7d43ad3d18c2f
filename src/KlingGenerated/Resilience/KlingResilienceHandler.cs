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
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context.Properties.GetValue(RequestKey, null!), args.AttemptNumber)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome)),
                OnRetry = args => // Telemetry/ResilienceTelemetry.cs: an event with the delay, and a log line
                {
                    var request = args.Context.Properties.GetValue(RequestKey, null!);
                    ResilienceTelemetry.Retrying(request, args.AttemptNumber + 1, args.RetryDelay, args.Outcome);
                    // A createTask is retried only when its answer said nothing was created: its journal hears it before the
                    // backoff and the next permit, so a record never says "on the wire" while it only waits (a kill then leaves it unsent).
                    return KlingOperation.RetryingAsync(request, args.Context.CancellationToken);
                },
            });
        }

        // Every createTask attempt, retries included, waits for a pacing permit; queries are not paced.
        builder.AddRateLimiter(new Polly.RateLimiting.RateLimiterStrategyOptions
        {
            RateLimiter = args => KlingOperation.IsBillable(args.Context.Properties.GetValue(RequestKey, null!))
                ? ResilienceTelemetry.Timed(_pacer.AcquireAsync(args.Context.CancellationToken), args.Context.Properties.GetValue(RequestKey, null!))
                : KlingCreateTaskPacer.NoWait,
        });
        _pipeline = builder.AddTimeout(options.AttemptTimeout).Build();
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var billable = KlingOperation.IsBillable(request);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        try
        {
            return await _pipeline.ExecuteAsync(static (ctx, state) => SendOnceAsync(ctx, state.Request, state.Handler), context, (Handler: this, Request: request)).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException exception) when (!cancellationToken.IsCancellationRequested && billable && !context.Properties.GetValue(SentKey, false))
        {
            throw KlingApiException.ForOutcome(KlingOperation.Outcome(request, KlingAttempt.TimedOut(bodyLeft: false)),
                $"createTask waited {exception.Timeout.TotalSeconds:0.#} s for a pacing permit and was not sent; nothing was created. Submit fewer tasks at once, or raise KlingResilienceOptions.TotalTimeout", exception);
        }
        catch (TimeoutRejectedException exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The message states the time really waited: attempts, backoff and pacing included, not just one timeout.
            var waited = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            var attempts = context.Properties.GetValue(AttemptsKey, 1);
            var outcome = KlingOperation.Outcome(request, KlingAttempt.TimedOut(KlingOperation.BodyLeft(request)));
            throw KlingApiException.ForOutcome(outcome, outcome.TaskMayExist
                ? $"createTask got no complete answer within {exception.Timeout.TotalSeconds:0.#} s (waited {waited:0.#} s in all). The task may or may not have been created, so it was not retried: check your callback or the credits before submitting again"
                : billable
                    ? $"createTask timed out after {waited:0.#} s before its body started to leave: nothing was sent, so no task was created and nothing was charged. Try again"
                    : exception.Timeout == _options.TotalTimeout
                        ? $"The service did not answer {request.Method} {request.RequestUri?.AbsolutePath} within {exception.Timeout.TotalSeconds:0.#} s, retries included ({attempts} attempt{(attempts == 1 ? string.Empty : "s")}, the total timeout). Try again later"
                        : $"The service did not answer {request.Method} {request.RequestUri?.AbsolutePath}: {attempts} attempt{(attempts == 1 ? string.Empty : "s")} of {exception.Timeout.TotalSeconds:0.#} s each timed out, {waited:0.#} s in all. Try again later", exception);
        }
        catch (HttpRequestException exception) when (!cancellationToken.IsCancellationRequested)
        {
            var attempts = context.Properties.GetValue(AttemptsKey, 1);
            throw TransportFailure(request, exception, attempts);
        }
        catch (SocketException exception) when (!cancellationToken.IsCancellationRequested)
        {
            // SocketsHttpHandler lets a few socket errors of connection setup escape unwrapped (a reset right after connect): no byte was sent.
            var attempts = context.Properties.GetValue(AttemptsKey, 1);
            throw KlingApiException.ForOutcome(KlingOperation.Outcome(request, KlingAttempt.NotSent()),
                $"Could not connect to the service for {request.Method} {request.RequestUri?.AbsolutePath} ({exception.Message}) in {attempts} attempt{(attempts == 1 ? string.Empty : "s")}: nothing was sent{(billable ? ", so no task was created and nothing was charged" : string.Empty)}. Check the base URL, the network and any proxy, then try again",
                exception);
        }
        catch (IOException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw BrokenAnswer(request, exception, context.Properties.GetValue(AttemptsKey, 1), retried: true);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The exception for a request whose connection failed: nothing sent (a connection never made, a journal that refused the body) or an answer that never came.</summary>
    internal static KlingApiException TransportFailure(HttpRequestMessage request, HttpRequestException exception, int attempts)
    {
        var refused = KlingOperation.Refused(request);
        var outcome = KlingOperation.Outcome(request, AttemptOf(request, exception));
        var tries = $"{attempts} attempt{(attempts == 1 ? string.Empty : "s")}";
        return KlingApiException.ForOutcome(outcome,
            refused
                ? $"The create-task journal refused to record the attempt ({Innermost(exception).Message.TrimEnd('.')}): its body was not sent, so no task was created and nothing was charged by it. Fix the journal, then submit again"
                : outcome.Rule == "not-sent"
                    ? $"Could not connect to the service for {request.Method} {request.RequestUri?.AbsolutePath} ({exception.Message}) in {tries}: nothing was sent{(outcome.IsBillable ? ", so no task was created and nothing was charged" : string.Empty)}. Check the base URL, the network and any proxy, then try again"
                    : outcome.TaskMayExist
                        ? $"The connection failed after the createTask request was sent ({exception.Message}). The task may or may not have been created, so it was not retried: check your callback or the credits before submitting again"
                        : $"The connection to the service failed for {request.Method} {request.RequestUri?.AbsolutePath} ({exception.Message}) in {tries}. Try again later",
            exception);
    }

    /// <summary>The exception for an answer whose body broke off after its headers: the request surely arrived.</summary>
    internal static KlingApiException BrokenAnswer(HttpRequestMessage request, IOException exception, int attempts, bool retried)
    {
        var outcome = KlingOperation.Outcome(request, KlingAttempt.NoAnswer(KlingOperation.BodyLeft(request)));
        return KlingApiException.ForOutcome(outcome, outcome.TaskMayExist
            ? $"The answer to createTask broke off after the request was sent ({exception.Message}). The task may or may not have been created, so it was not retried: check your callback or the credits before submitting again"
            : $"The answer to {request.Method} {request.RequestUri?.AbsolutePath} broke off before its end ({exception.Message}){(retried && attempts > 1 ? $" on all {attempts} attempts" : string.Empty)}. Try again later", exception);
    }

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is { } inner)
        {
            exception = inner;
        }

        return exception;
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
        KlingOperation.NewAttempt(request);
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

    /// <summary>The retry rule: the attempt's outcome, by the document's rules, says whether the same request may be sent again.</summary>
    private bool ShouldRetry(Outcome<HttpResponseMessage> outcome, HttpRequestMessage request, int attemptNumber)
    {
        if (KlingOperation.Refused(request))
        {
            return false; // the journal refused the body: the submission stops here
        }

        KlingAttempt? attempt = outcome.Exception switch
        {
            TimeoutRejectedException => KlingAttempt.TimedOut(KlingOperation.BodyLeft(request)),
            HttpRequestException exception => AttemptOf(request, exception),
            SocketException => KlingAttempt.NotSent(), // unwrapped, it comes from connection setup: nothing was sent
            IOException => KlingAttempt.NoAnswer(KlingOperation.BodyLeft(request)), // the answer broke off mid-body
            not null => null,
            null => AttemptOf(request, outcome.Result!),
        };
        if (attempt is not { } known)
        {
            return false;
        }

        var decided = KlingOperation.Outcome(request, known);
        if (!decided.IsRetryable)
        {
            return false;
        }

        // An unreachable service (nothing was sent) may have its own, smaller budget (KlingResilienceOptions.MaxUnreachableRetries).
        return decided.Rule != "not-sent" || attemptNumber < (_options.MaxUnreachableRetries ?? _options.MaxRetries);
    }

    /// <summary>The facts of an HTTP answer (its body already read into the buffer the client's error mapping then reuses).</summary>
    internal static KlingAttempt AttemptOf(HttpRequestMessage request, HttpResponseMessage response)
    {
        var code = 0;
        bool? success = null;
        var envelope = response.Content is BufferedBody { TooLarge: false } body && ServiceEnvelope.TryRead(body.Memory.Span, out code, out _, out success);
        return KlingAttempt.Http((int)response.StatusCode, envelope, code, KlingOperation.BodyLeft(request), success);
    }

    /// <summary>The facts of a failed connection: nothing sent when it was never made or the body never left, else no answer.</summary>
    internal static KlingAttempt AttemptOf(HttpRequestMessage request, HttpRequestException exception) =>
        NothingWasSent(exception) || !KlingOperation.BodyLeft(request) ? KlingAttempt.NotSent() : KlingAttempt.NoAnswer(bodyLeft: true);

    private TimeSpan? RetryAfter(Outcome<HttpResponseMessage> outcome) =>
        BufferedBody.RetryAfterOf(outcome.Result?.Headers.RetryAfter) is { } wait ? (wait < _options.MaxDelay ? wait : _options.MaxDelay) : null;

    /// <summary>True when the connection was never made, so no byte of the request left: a failed name lookup, a refused connection, a failed TLS handshake or proxy tunnel.</summary>
    internal static bool NothingWasSent(HttpRequestException exception) =>
        exception.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError
        || exception.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData };
}
