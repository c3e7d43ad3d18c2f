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

    [ThreadStatic]
    private static JsonSerializer? t_serializer;

    // One serializer per thread: created once instead of per call, and never shared between threads.
    private static JsonSerializer Serializer => t_serializer ??= JsonSerializer.Create(_settings.Value);

    /// <summary>Serializes a request body to exact UTF-8 bytes; see Templates/Client.Class.liquid.</summary>
    private static JsonBodyContent SerializeBody<T>(T body)
    {
        using var text = new PooledTextWriter();
        using (var writer = new JsonTextWriter(text) { ArrayPool = PooledChars.Instance, CloseOutput = false })
        {
            Serializer.Serialize(writer, body, typeof(T));
        }

        // UTF-8 would silently turn a lone UTF-16 surrogate into U+FFFD: the service would get (and charge for) another text.
        if (text.HasLoneSurrogate())
        {
            throw LoneSurrogate(body);
        }

        var content = new JsonBodyContent(text.ToUtf8(), body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    /// <summary>Names every string field of <paramref name="body"/> that holds a lone UTF-16 surrogate, as the validator names fields.</summary>
    private static System.ComponentModel.DataAnnotations.ValidationException LoneSurrogate<T>(T body)
    {
        var fields = Newtonsoft.Json.Linq.JToken.FromObject(body!, Serializer).SelectTokens("$..*").OfType<Newtonsoft.Json.Linq.JValue>()
            .Where(v => v.Value is string text && OpenApi.SchemaValidator.LoneSurrogateAt(text) >= 0)
            .Select(v => $"{v.Path} is not text: it contains a lone UTF-16 surrogate (half of an emoji, say), which is not Unicode and cannot be sent.");
        return new System.ComponentModel.DataAnnotations.ValidationException("The request was not sent: " + string.Join(" ", fields) + " Fix the value.");
    }

    /// <summary>Deserializes the buffered body; see Templates/Client.Class.ReadObjectResponse.liquid.</summary>
    private static async Task<T?> DeserializeBodyAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content is BufferedBody body)
        {
            return Deserialize<T>(body.Memory.Span);
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return Deserialize<T>(bytes);
    }

    private static T? Deserialize<T>(ReadOnlySpan<byte> utf8)
    {
        var chars = System.Buffers.ArrayPool<char>.Shared.Rent(System.Text.Encoding.UTF8.GetMaxCharCount(utf8.Length));
        try
        {
            var count = System.Text.Encoding.UTF8.GetChars(utf8, chars);
            using var reader = new JsonTextReader(new CharSegmentReader(chars, count)) { ArrayPool = PooledChars.Instance, CloseInput = false };
            return Serializer.Deserialize<T>(reader);
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(chars);
        }
    }

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

    // CUSTOM: the generated JsonInheritanceConverter writes a request through a JObject tree (about 4 KB per createTask);
    // a mapped request instead writes its discriminator as its first property, and reading stays the converter's.
    protected override JsonObjectContract CreateObjectContract(Type objectType)
    {
        var contract = base.CreateObjectContract(objectType);
        if (contract.Converter is JsonInheritanceConverter inheritance && DiscriminatorValueOf(objectType) is { } value)
        {
            contract.Converter = new ReadingOnly(inheritance);
            contract.Properties.Insert(0, new JsonProperty
            {
                PropertyName = inheritance.DiscriminatorName,
                UnderlyingName = inheritance.DiscriminatorName,
                PropertyType = typeof(string),
                DeclaringType = objectType,
                ValueProvider = new ConstantValueProvider(value),
                Readable = true,
                Writable = false,
            });
        }

        return contract;
    }

    /// <summary>The discriminator value a base type's <see cref="JsonInheritanceAttribute"/> maps to this type, if any.</summary>
    private static string? DiscriminatorValueOf(Type objectType)
    {
        for (var type = objectType.BaseType; type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttributes<JsonInheritanceAttribute>(inherit: false).FirstOrDefault(a => a.Type == objectType) is { } mapping)
            {
                return mapping.Key;
            }
        }

        return null;
    }

    /// <summary>The generated converter for reading (it picks the mapped type); writing goes through the contract.</summary>
    private sealed class ReadingOnly(JsonInheritanceConverter inner) : JsonConverter
    {
        public override bool CanWrite => false;

        public override bool CanRead => inner.CanRead;

        public override bool CanConvert(Type objectType) => inner.CanConvert(objectType);

        public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer) =>
            inner.ReadJson(reader, objectType, existingValue!, serializer);

        public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer) =>
            throw new NotSupportedException("Written through the contract.");
    }

    private sealed class ConstantValueProvider(string value) : IValueProvider
    {
        public object GetValue(object target) => value;

        public void SetValue(object target, object? ignored)
        {
        }
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

/// <summary>
/// The words the OpenAPI document gives a generated enum's members (their <c>EnumMember</c> values), both ways: for
/// example <c>WireNames&lt;AspectRatio&gt;.All</c> is <c>16:9, 9:16, 1:1</c> in the document's order.
/// </summary>
/// <typeparam name="TEnum">A generated enum, such as <see cref="AspectRatio"/> or <see cref="VideoDuration"/>.</typeparam>
// CUSTOM: public so command lines and tools list and parse the document's words instead of copying them (no InternalsVisibleTo).
public static class WireNames<TEnum>
    where TEnum : struct, Enum
{
    private static readonly Dictionary<TEnum, string> ToWireByValue = Enum.GetValues<TEnum>().ToDictionary(
        value => value,
        value => typeof(TEnum).GetField(value.ToString())?.GetCustomAttribute<EnumMemberAttribute>()?.Value ?? value.ToString());

    private static readonly Dictionary<string, TEnum> ByWire = ToWireByValue.ToDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal);

    /// <summary>Every word, in the document's order.</summary>
    public static IReadOnlyList<string> All { get; } = [.. ToWireByValue.Values];

    /// <summary>The document's word for <paramref name="value"/>; a value the document does not name gives its C# name.</summary>
    public static string ToWire(TEnum value) => ToWireByValue.TryGetValue(value, out var wire) ? wire : value.ToString();

    /// <summary>The member for the document's word (compared ordinally), or null for null or a word the document does not give.</summary>
    public static TEnum? Parse(string? wire) => wire is not null && ByWire.TryGetValue(wire, out var value) ? value : null;
}

/// <summary>Converts task states to and from the service's words.</summary>
public static class TaskStates
{
    /// <summary>The service's word for <paramref name="state"/>, such as <c>queuing</c>.</summary>
    public static string ToWire(TaskState state) => WireNames<TaskState>.ToWire(state);

    /// <summary>The state for the service's word, or null for a word this client does not know.</summary>
    public static TaskState? Parse(string? wire) => WireNames<TaskState>.Parse(wire);

    /// <summary>True for <see cref="TaskState.Success"/> and <see cref="TaskState.Fail"/>; unknown states count as still running.</summary>
    public static bool IsTerminal(this TaskState? state) => state is TaskState.Success or TaskState.Fail;
}

/// <summary>A TextReader over part of a char array, so the JSON reader needs no string copy of the body.</summary>
internal sealed class CharSegmentReader(char[] chars, int count) : TextReader
{
    private int _position;

    public override int Peek() => _position < count ? chars[_position] : -1;

    public override int Read() => _position < count ? chars[_position++] : -1;

    public override int Read(char[] buffer, int index, int length)
    {
        var n = Math.Min(length, count - _position);
        Array.Copy(chars, _position, buffer, index, n);
        _position += n;
        return n;
    }
}

/// <summary>Newtonsoft's buffers from the shared pool.</summary>
internal sealed class PooledChars : IArrayPool<char>
{
    public static readonly PooledChars Instance = new();

    public char[] Rent(int minimumLength) => System.Buffers.ArrayPool<char>.Shared.Rent(minimumLength);

    public void Return(char[]? array)
    {
        if (array is not null)
        {
            System.Buffers.ArrayPool<char>.Shared.Return(array);
        }
    }
}

/// <summary>A TextWriter into a pooled, growing char buffer, for serializing without intermediate strings.</summary>
internal sealed class PooledTextWriter : TextWriter
{
    private char[] _buffer = System.Buffers.ArrayPool<char>.Shared.Rent(1024);
    private int _length;

    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void Write(char value)
    {
        Reserve(1);
        _buffer[_length++] = value;
    }

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        Reserve(buffer.Length);
        buffer.CopyTo(_buffer.AsSpan(_length));
        _length += buffer.Length;
    }

    public override void Write(string? value) => Write(value.AsSpan());

    /// <summary>True when the text holds a lone UTF-16 surrogate, which UTF-8 cannot carry.</summary>
    public bool HasLoneSurrogate() => OpenApi.SchemaValidator.LoneSurrogateAt(_buffer.AsSpan(0, _length)) >= 0;

    public byte[] ToUtf8()
    {
        var chars = _buffer.AsSpan(0, _length);
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(chars)];
        System.Text.Encoding.UTF8.GetBytes(chars, bytes);
        return bytes;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _buffer.Length > 0)
        {
            System.Buffers.ArrayPool<char>.Shared.Return(_buffer);
            _buffer = [];
        }

        base.Dispose(disposing);
    }

    private void Reserve(int more)
    {
        if (_length + more > _buffer.Length)
        {
            var larger = System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + more));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            System.Buffers.ArrayPool<char>.Shared.Return(_buffer);
            _buffer = larger;
        }
    }
}
