using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GrpcSync.Server.Auth;

/// <summary>
/// Authenticates every call to the GrpcSync services (native gRPC and transcoded REST alike) and puts
/// the caller's (project, user) on the call. Health and reflection services stay open.
/// </summary>
public sealed class AuthInterceptor(TokenValidator validator) : Interceptor
{
    private const string ProtectedPrefix = "/grpcsync.v1.";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (context.Method.StartsWith(ProtectedPrefix, StringComparison.Ordinal))
        {
            var header = context.GetHttpContext().Request.Headers.Authorization.ToString();
            context.UserState[CallerExtensions.Key] = await validator.ValidateAsync(header);
        }
        return await continuation(request, context);
    }
}
