export { VERSION } from '../cli-api';
