using System.Text.Json;
using Microsoft.Extensions.AI;

namespace KlingGenerated.Tests.AI;

/// <summary>A chat client that answers each turn from a script and keeps what the function calls returned.</summary>
internal sealed class ScriptedChatClient(params Func<IReadOnlyList<ChatMessage>, ChatResponse>[] turns) : IChatClient
{
    private readonly List<ChatMessage> _seen = [];
    private int _turn;

    public List<string> Results() => [.. _seen.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Select(r => r.Result is JsonElement json ? json.GetRawText() : r.Result?.ToString() ?? string.Empty)];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        _seen.Clear();
        _seen.AddRange(messages);
        return Task.FromResult(turns[_turn++](_seen));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The script answers whole turns only.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
