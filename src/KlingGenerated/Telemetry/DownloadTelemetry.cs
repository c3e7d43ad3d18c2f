using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KlingGenerated;

/// <summary>
/// The span <c>download_result</c> of one result download (a child of the task's span when one is open), its size and
/// duration metrics and its log lines. The URL is recorded without its query: signed links carry their secret there.
/// </summary>
internal sealed class DownloadTelemetry : IDisposable
{
    private readonly string _url;
    private readonly ILogger _logger;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Activity? _activity;
    private string? _errorType;
    private long _bytes;

    private DownloadTelemetry(Uri url, ILogger logger)
    {
        _url = KlingTelemetry.Sanitized(url);
        _logger = logger;
        _activity = KlingTelemetry.Source.StartActivity("download_result", ActivityKind.Client);
        if (_activity is { IsAllDataRequested: true })
        {
            _activity.SetTag(TelemetryTags.OperationName, "download_result");
            _activity.SetTag(TelemetryTags.ProviderName, TelemetryTags.Provider);
            _activity.SetTag(TelemetryTags.OutputType, TelemetryTags.Video);
            _activity.SetTag(TelemetryTags.DownloadUrl, _url);
        }
    }

    public static DownloadTelemetry? Start(Uri url, ILogger logger) =>
        url is null || (!KlingTelemetry.Source.HasListeners() && !KlingTelemetry.DownloadDuration.Enabled && !KlingTelemetry.DownloadSize.Enabled && !logger.IsEnabled(LogLevel.Critical))
            ? null
            : new DownloadTelemetry(url, logger);

    public T Completed<T>(T result, long bytes)
    {
        _bytes = bytes;
        _activity?.SetTag(TelemetryTags.DownloadBytes, bytes);
        KlingLog.Downloaded(_logger, bytes, _url);
        return result;
    }

    /// <summary>Always false, for an exception filter.</summary>
    public bool Failed(Exception exception)
    {
        _errorType = KlingTelemetry.ErrorType(exception);
        _bytes = exception is KlingDownloadException download ? download.BytesReceived : 0;
        _activity?.SetTag(TelemetryTags.ErrorType, _errorType);
        _activity?.SetStatus(ActivityStatusCode.Error, _errorType);
        if (exception is not OperationCanceledException)
        {
            KlingLog.DownloadFailed(_logger, _url, _errorType);
        }

        return false;
    }

    public void Dispose()
    {
        var tags = new TagList { { TelemetryTags.ProviderName, TelemetryTags.Provider } };
        if (_errorType is not null)
        {
            tags.Add(TelemetryTags.ErrorType, _errorType);
        }

        KlingTelemetry.DownloadDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, tags);
        KlingTelemetry.DownloadSize.Record(_bytes, tags);
        _activity?.Dispose();
    }
}
