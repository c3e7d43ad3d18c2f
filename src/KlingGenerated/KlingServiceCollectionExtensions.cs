using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace KlingGenerated;

/// <summary>Registers <see cref="KlingClient"/> with <see cref="IHttpClientFactory"/>.</summary>
public static class KlingServiceCollectionExtensions
{
    /// <summary>The name of the HttpClient the factory builds for the client.</summary>
    public const string HttpClientName = "KlingGenerated";

    /// <summary>
    /// The name of the HttpClient that downloads results from result hosts (it never carries the API key): configure it
    /// with <c>services.AddHttpClient(KlingServiceCollectionExtensions.DownloadHttpClientName)</c>, for a proxy or handlers of your own.
    /// </summary>
    public const string DownloadHttpClientName = "KlingGenerated.Downloads";

    /// <summary>
    /// Registers <see cref="IKlingClient"/> and <see cref="KlingClient"/> on a named HttpClient with <see cref="KlingResilienceHandler"/>
    /// (safe retries, timeouts, createTask pacing), with options set by <paramref name="configure"/>.
    /// Options are validated at start: a missing key or a relative base URL fails with a clear message.
    /// </summary>
    /// <returns>The HttpClient builder, to add handlers of your own.</returns>
    public static IHttpClientBuilder AddKlingClient(this IServiceCollection services, Action<KlingClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddKlingClient(services.AddOptions<KlingClientOptions>().Configure(configure), configurationPath: null);
    }

    /// <summary>Registers the client with options bound from a configuration section (the properties of <see cref="KlingClientOptions"/>, such as ApiKey and BaseUrl).</summary>
    /// <returns>The HttpClient builder, to add handlers of your own.</returns>
    public static IHttpClientBuilder AddKlingClient(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        return services.AddKlingClient(services.AddOptions<KlingClientOptions>().Bind(section), (section as IConfigurationSection)?.Path);
    }

    private static IHttpClientBuilder AddKlingClient(this IServiceCollection services, OptionsBuilder<KlingClientOptions> options, string? configurationPath)
    {
        options.ValidateOnStart();
        services.AddSingleton(new KlingOptionsSource(configurationPath));
        options.PostConfigure<IServiceProvider>((settings, provider) => settings.LoggerFactory ??= provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>());
        services.AddSingleton<IValidateOptions<KlingClientOptions>, KlingClientOptionsValidator>();
        static KlingClientOptions Options(IServiceProvider provider) => provider.GetRequiredService<IOptions<KlingClientOptions>>().Value;

        services.TryAddSingleton(provider => new KlingCreateTaskPacer(Options(provider).Resilience));
        // The extension point for pacing across processes (KlingGenerated.Redis replaces it); the local pacer by default.
        services.TryAddSingleton<IKlingCreateTaskPacer>(provider => provider.GetRequiredService<KlingCreateTaskPacer>());
        var builder = services.AddHttpClient(HttpClientName, (provider, http) =>
        {
            http.BaseAddress = Options(provider).BaseUrl;
            http.Timeout = Timeout.InfiniteTimeSpan; // KlingResilienceHandler times attempts and calls; pacing waits are not a timeout.
        });

        // Connections are pooled and bounded, and recycled every few minutes so DNS changes are seen.
        builder.ConfigurePrimaryHttpMessageHandler(provider => KlingHttpPipeline.CreatePrimaryHandler(Options(provider)));
        builder.AddHttpMessageHandler(provider => new KlingResilienceHandler(Options(provider).Resilience, provider.GetRequiredService<IKlingCreateTaskPacer>()));
        // Results come from other hosts: their own client, without the key, redirects checked hop by hop.
        services.AddHttpClient(DownloadHttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(KlingClient.CreateDownloadHandler);
        builder.AddTypedClient((http, provider) => new KlingClient(http, WithJournal(Options(provider), provider), pipelineFromOptions: true)
        {
            DownloadHttpClient = provider.GetRequiredService<IHttpClientFactory>().CreateClient(DownloadHttpClientName),
        });
        services.AddTransient<IKlingClient>(provider => provider.GetRequiredService<KlingClient>());
        return builder;
    }

    /// <summary>The journal set in the options, else one registered in the service collection.</summary>
    private static KlingClientOptions WithJournal(KlingClientOptions options, IServiceProvider provider)
    {
        if (options.CreateTaskJournal is not null || provider.GetService<IKlingCreateTaskJournal>() is not { } journal)
        {
            return options;
        }

        var copy = options.Clone();
        copy.CreateTaskJournal = journal;
        return copy;
    }

    /// <summary>Where the options were bound from: the configuration section's path, or null for code.</summary>
    private sealed record KlingOptionsSource(string? ConfigurationPath);

    private sealed class KlingClientOptionsValidator(IEnumerable<KlingOptionsSource> sources) : IValidateOptions<KlingClientOptions>
    {
        public ValidateOptionsResult Validate(string? name, KlingClientOptions options)
        {
            var problems = options.GetProblems().ToList();
            if (string.IsNullOrWhiteSpace(options.ApiKey) && sources.LastOrDefault()?.ConfigurationPath is { Length: > 0 } path)
            {
                // Name the configuration key that is missing, as appsettings.json and the environment spell it.
                problems.Insert(0, $"The configuration key {path}:ApiKey is missing (in the environment: {path.Replace(":", "__", StringComparison.Ordinal)}__ApiKey); set it to your kie.ai API key.");
            }

            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
