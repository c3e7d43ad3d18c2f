using System.Reflection;
using System.Runtime.Serialization;
using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;

namespace KlingGenerated;

// CUSTOM: the service may add task states; a state this client does not know must not fail deserialization (forward compatibility).
public partial class KlingClient
{
    /// <summary>The settings the generated code uses, for reading callbacks the same way as answers.</summary>
    internal static JsonSerializerSettings CallbackSerializerSettings => _settings.Value;

    static partial void UpdateJsonSerializerSettings(JsonSerializerSettings settings)
    {
        settings.ContractResolver = KlingContractResolver.Instance;
        settings.DateParseHandling = DateParseHandling.None;
        settings.MaxDepth = 64;
    }
}

/// <summary>Reads <c>TaskRecord.state</c> as text so an unknown state leaves <see cref="TaskRecord.State"/> null and keeps the text in <see cref="TaskRecord.RawState"/>.</summary>
internal sealed class KlingContractResolver : DefaultContractResolver
{
    public static readonly KlingContractResolver Instance = new();

    protected override JsonProperty CreateProperty(MemberInfo member, MemberSerialization memberSerialization)
    {
        var property = base.CreateProperty(member, memberSerialization);
        if (member.DeclaringType == typeof(TaskRecord) && member.Name == nameof(TaskRecord.State))
        {
            property.PropertyType = typeof(string);
            property.Converter = null;
            property.ValueProvider = new StateValueProvider();
        }

        return property;
    }

    private sealed class StateValueProvider : IValueProvider
    {
        public void SetValue(object target, object? value)
        {
            var record = (TaskRecord)target;
            record.RawState = value as string;
            record.State = TaskStates.Parse(record.RawState);
        }

        public object? GetValue(object target)
        {
            var record = (TaskRecord)target;
            return record.State is { } state ? TaskStates.ToWire(state) : record.RawState;
        }
    }
}

/// <summary>Converts task states to and from the service's words.</summary>
public static class TaskStates
{
    private static readonly Dictionary<string, TaskState> ByWire = Enum.GetValues<TaskState>().ToDictionary(ToWire, StringComparer.Ordinal);

    /// <summary>The service's word for <paramref name="state"/>, such as <c>queuing</c>.</summary>
    public static string ToWire(TaskState state) =>
        typeof(TaskState).GetField(state.ToString())?.GetCustomAttribute<EnumMemberAttribute>()?.Value ?? state.ToString();

    /// <summary>The state for the service's word, or null for a word this client does not know.</summary>
    public static TaskState? Parse(string? wire) => wire is not null && ByWire.TryGetValue(wire, out var state) ? state : null;

    /// <summary>True for <see cref="TaskState.Success"/> and <see cref="TaskState.Fail"/>; unknown states count as still running.</summary>
    public static bool IsTerminal(this TaskState? state) => state is TaskState.Success or TaskState.Fail;
}
