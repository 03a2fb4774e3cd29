// The browsers' extension APIs as the extension's code reaches them. Left untyped on purpose:
// @types/chrome would be a large dependency describing one browser's API only, and the code
// checks what it receives from these APIs at run time. Everything of our own is typed.
declare var chrome: any;
declare var browser: any;
