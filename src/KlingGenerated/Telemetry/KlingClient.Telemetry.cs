using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KlingGenerated;

// CUSTOM: the generated operations have no telemetry hooks; these are what Templates/Client.Class.liquid calls around each one.
public partial class KlingClient
{
    private ILogger? _logger;

    /// <summary>The client's logger, from <see cref="KlingClientOptions.LoggerFactory"/>; nothing is written without one.</summary>
    private ILogger Logger => _logger ??= _options.LoggerFactory?.CreateLogger("KlingGenerated.KlingClient") ?? NullLogger.Instance;

    private OperationTelemetry? StartOperation(string operation, object? argument) => OperationTelemetry.Start(operation, argument, Logger);

    private static T Completed<T>(OperationTelemetry? telemetry, T result)
    {
        telemetry?.Succeeded(result);
        return result;
    }

    /// <summary>Records the failure; always false, so the exception filter never catches.</summary>
    private static bool Failed(OperationTelemetry? telemetry, Exception exception)
    {
        telemetry?.Failed(exception);
        return false;
    }

    /// <summary>Hands the logger to <see cref="KlingResilienceHandler"/> with the request, for its retry and pacing lines.</summary>
    private void AttachLogger(HttpRequestMessage request)
    {
        if (Logger is not NullLogger)
        {
            request.Options.Set(ResilienceTelemetry.LoggerKey, Logger);
        }
    }
}
