namespace KlingGenerated.Cli;

/// <summary>Finds the API key: --api-key, --api-key-file, KIE_API_KEY, KIE_API_KEY_FILE, in that order.</summary>
// A key on the command line is visible to every user in `ps`; a file or the environment is not, so both are offered.
internal static class ApiKeySource
{
    private const int MaxKeyFileBytes = 4096;

    /// <summary>The key, trimmed, or null when none is given anywhere.</summary>
    public static string? Find(string? apiKey, string? apiKeyFile, CliEnvironment environment)
    {
        if (!string.IsNullOrWhiteSpace(apiKey) && !string.IsNullOrWhiteSpace(apiKeyFile))
        {
            throw new UsageException("pass either --api-key or --api-key-file, not both.");
        }

        if (!string.IsNullOrWhiteSpace(apiKey))
        {
            return apiKey.Trim();
        }

        if (!string.IsNullOrWhiteSpace(apiKeyFile))
        {
            return Read(environment.FullPath(apiKeyFile), apiKeyFile, "--api-key-file");
        }

        if (environment.Variable("KIE_API_KEY") is { } fromEnvironment && !string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment.Trim();
        }

        return environment.Variable("KIE_API_KEY_FILE") is { } file && !string.IsNullOrWhiteSpace(file)
            ? Read(environment.FullPath(file), file, "KIE_API_KEY_FILE")
            : null;
    }

    private static string Read(string fullPath, string path, string source)
    {
        string text;
        try
        {
            var info = new FileInfo(fullPath);
            if (info.Exists && info.Length > MaxKeyFileBytes)
            {
                throw new UsageException($"{source} '{path}' is {info.Length} bytes, too large for an API key; point it at a file holding only the key.");
            }

            text = File.ReadAllText(fullPath);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the API key from {source} '{path}' ({exception.Message}). Check the path and its permissions.");
        }

        var key = text.Trim();
        if (key.Length == 0)
        {
            throw new UsageException($"{source} '{path}' is empty; write the API key into it.");
        }

        if (key.Any(char.IsWhiteSpace))
        {
            throw new UsageException($"{source} '{path}' holds more than one word; it must hold only the API key.");
        }

        return key;
    }
}
