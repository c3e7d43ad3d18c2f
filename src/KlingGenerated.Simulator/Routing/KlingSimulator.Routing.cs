using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace KlingGenerated.Simulator;

/// <summary>Routing: the service's endpoints, the control endpoints and a real 404/405 for anything else.</summary>
public sealed partial class KlingSimulator
{
    private void Map(WebApplication app)
    {
        Route(app, "POST", "/api/v1/jobs/createTask", context => Handle(context, CreateTaskAsync));
        Route(app, "GET", "/api/v1/jobs/recordInfo", context => Handle(context, RecordInfoAsync));
        Route(app, "GET", "/api/v1/chat/credit", context => Handle(context, CreditAsync));
        Route(app, "POST", "/api/v1/common/download-url", context => Handle(context, DownloadUrlAsync));
        app.MapGet("/files/{name}", ServeFileAsync);
        MapUploads(app, (method, path, handler) => Route(app, method, path, handler));
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
}
